{{/* Common labels for every object of a component. */}}
{{- define "keel.labels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/part-of: keel
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "keel.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "keel.fullname" -}}
{{- printf "keel-%s" .name -}}
{{- end -}}

{{/*
keel.component renders one component: ServiceAccount, Deployment, Service,
HorizontalPodAutoscaler and PodDisruptionBudget.
Arguments (dict): root (the chart context), name, values (the component's
values), image (the image's name, when not `name`), args (extra container
arguments), mountConfig (mount Istio config), extraPorts (more gRPC ports
the container and the Service open, as a list of dicts with name and port),
volumes and volumeMounts (extra ones, as lists of Kubernetes objects).
*/}}
{{- define "keel.component" -}}
{{- $v := .values -}}
{{- $root := .root -}}
{{- $fullname := include "keel.fullname" . -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $fullname }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "keel.labels" . | nindent 4 }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $fullname }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "keel.labels" . | nindent 4 }}
spec:
  {{- if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicas }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "keel.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "keel.labels" . | nindent 8 }}
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ $v.monitoringPort | quote }}
        prometheus.io/path: /metrics
        checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
    spec:
      serviceAccountName: {{ $fullname }}
      securityContext:
        runAsNonRoot: true
        runAsUser: 1337
        # Volumes (Citadel's CA claim) are writable by the component's user.
        fsGroup: 1337
      containers:
        - name: {{ .name }}
          image: {{ printf "%s/%s:%s" $root.Values.global.hub (default .name .image) (default $root.Chart.AppVersion $root.Values.global.tag) }}
          imagePullPolicy: {{ $root.Values.global.imagePullPolicy }}
          args:
            {{- if and .controlPlane $root.Values.global.controlPlaneMtls }}
            {{- /* mTLS with the certificate the keel-agent beside it keeps. */}}
            - --grpc_address=:{{ default $v.grpcPort .mtlsGrpcPort }}
            - --tls_cert_dir=/var/run/keel/certs
            {{- if .mtlsGrpcPort }}
            - --insecure_xds_address=:{{ $v.grpcPort }}
            {{- end }}
            {{- else }}
            - --grpc_address=:{{ $v.grpcPort }}
            {{- if .controlPlane }}
            - --insecure_plaintext
            {{- end }}
            {{- end }}
            # Exposed for the kubelet's probes and Prometheus; /debug/* stays
            # loopback-only unless global.debugRemote is set.
            - --monitoring_address=:{{ $v.monitoringPort }}
            {{- if $root.Values.global.debugRemote }}
            - --debug_remote
            {{- end }}
            - --log_format={{ $root.Values.global.logFormat }}
            - --log_level={{ $root.Values.global.logLevel }}
            {{- range .args }}
            - {{ . }}
            {{- end }}
          ports:
            - name: grpc
              containerPort: {{ $v.grpcPort }}
              protocol: TCP
            - name: monitoring
              containerPort: {{ $v.monitoringPort }}
              protocol: TCP
            {{- range .extraPorts }}
            - name: {{ .name }}
              containerPort: {{ .port }}
              protocol: TCP
            {{- end }}
            {{- if and .controlPlane $root.Values.global.controlPlaneMtls .mtlsGrpcPort }}
            - name: grpc-mtls
              containerPort: {{ .mtlsGrpcPort }}
              protocol: TCP
            {{- end }}
          livenessProbe:
            httpGet:
              path: /healthz
              port: monitoring
            initialDelaySeconds: 5
            periodSeconds: 10
          readinessProbe:
            httpGet:
              path: /readyz
              port: monitoring
            periodSeconds: 5
          {{- with $v.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
          volumeMounts:
            - name: mesh-config
              mountPath: /etc/keel/mesh
              readOnly: true
            {{- if .mountConfig }}
            - name: istio-config
              mountPath: /etc/keel/config
              readOnly: true
            {{- end }}
            {{- with .volumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
            {{- if and .controlPlane $root.Values.global.controlPlaneMtls }}
            - name: keel-certs
              mountPath: /var/run/keel/certs
              readOnly: true
            {{- end }}
        {{- if and .controlPlane $root.Values.global.controlPlaneMtls }}
        {{- include "keel.agent.container" (dict "root" $root "workload" (dict "serviceAccount" $fullname)) | nindent 8 }}
        {{- end }}
      volumes:
        - name: mesh-config
          configMap:
            name: keel-mesh
            items:
              - key: mesh.yaml
                path: mesh.yaml
        {{- if .mountConfig }}
        - name: istio-config
          configMap:
            name: keel-istio-config
        {{- end }}
        {{- with .volumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- if and .controlPlane $root.Values.global.controlPlaneMtls }}
        {{- include "keel.agent.volumes" (dict "root" $root "workload" (dict "serviceAccount" $fullname)) | nindent 8 }}
        {{- end }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "keel.labels" . | nindent 4 }}
spec:
  selector:
    {{- include "keel.selectorLabels" . | nindent 4 }}
  ports:
    - name: grpc
      port: {{ $v.grpcPort }}
      targetPort: grpc
      protocol: TCP
    - name: http-monitoring
      port: {{ $v.monitoringPort }}
      targetPort: monitoring
      protocol: TCP
    {{- range .extraPorts }}
    - name: {{ .name }}
      port: {{ .port }}
      targetPort: {{ .name }}
      protocol: TCP
    {{- end }}
    {{- if and .controlPlane $root.Values.global.controlPlaneMtls .mtlsGrpcPort }}
    - name: grpc-mtls
      port: {{ .mtlsGrpcPort }}
      targetPort: grpc-mtls
      protocol: TCP
    {{- end }}
{{- if $v.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $fullname }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "keel.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $fullname }}
  minReplicas: {{ $v.autoscaling.minReplicas }}
  maxReplicas: {{ $v.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $v.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
{{- if $v.podDisruptionBudget.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $fullname }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "keel.labels" . | nindent 4 }}
spec:
  minAvailable: {{ $v.podDisruptionBudget.minAvailable }}
  selector:
    matchLabels:
      {{- include "keel.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end -}}

{{/*
keel.etcdEndpoints is the --etcd_endpoints flag for Galley and Citadel, or
"" when config stays in Galley's memory (etcd.mode: none).
*/}}
{{- define "keel.etcdEndpoints" -}}
{{- if eq .Values.etcd.mode "bundled" -}}
{{- printf "--etcd_endpoints=keel-etcd-client.%s.svc:2379" .Release.Namespace -}}
{{- else if eq .Values.etcd.mode "external" -}}
{{- printf "--etcd_endpoints=%s" (join "," .Values.etcd.endpoints) -}}
{{- end -}}
{{- end -}}

{{/*
keel.citadelArgs, keel.citadelVolumes and keel.citadelMounts are Citadel's
arguments (after its address), volumes and volume mounts as JSON lists: the
same for the citadel Deployment and the one-process (istiod) one.
*/}}
{{- define "keel.citadelArgs" -}}
{{- $c := .Values.citadel }}
{{- $ns := .Release.Namespace }}
{{- $args := list
      (printf "--ca_mode=%s" $c.caMode)
      "--ca_dir=/var/lib/keel/ca"
      "--serving_dir=/var/run/keel/serving"
      (printf "--trust_domain=%s" .Values.meshConfig.trustDomain)
      (printf "--workload_cert_ttl=%s" $c.workloadCertTtl)
      (printf "--max_workload_cert_ttl=%s" $c.maxWorkloadCertTtl)
      (printf "--certificates_per_second=%v" $c.certificatesPerSecond)
      (printf "--certificate_burst=%v" $c.certificateBurst)
      (printf "--server_names=keel-citadel,keel-citadel.%s,keel-citadel.%s.svc,keel-citadel.%s.svc.%s" $ns $ns $ns .Values.global.clusterDomain) }}
{{- if eq $c.caMode "cacerts" }}
{{- $args = append $args "--token_key_file=/var/run/keel/token-key/token-key" }}
{{- else }}
{{- /* On etcd, replicas share one self-signed CA there. */}}
{{- with include "keel.etcdEndpoints" . }}
{{- $args = append $args . }}
{{- end }}
{{- end }}
{{- toJson $args }}
{{- end -}}

{{- define "keel.citadelMounts" -}}
{{- $c := .Values.citadel }}
{{- $mounts := list (dict "name" "ca" "mountPath" "/var/lib/keel/ca" "readOnly" (eq $c.caMode "cacerts")) (dict "name" "serving" "mountPath" "/var/run/keel/serving") }}
{{- if eq $c.caMode "cacerts" }}
{{- $mounts = append $mounts (dict "name" "token-key" "mountPath" "/var/run/keel/token-key" "readOnly" true) }}
{{- end }}
{{- toJson $mounts }}
{{- end -}}

{{- define "keel.citadelVolumes" -}}
{{- $c := .Values.citadel }}
{{- $volumes := list (dict "name" "serving" "emptyDir" (dict "medium" "Memory")) }}
{{- if eq $c.caMode "cacerts" }}
{{- /* Istio's plugged-in CA Secret, and the bootstrap-token key beside it. */}}
{{- $volumes = append $volumes (dict "name" "ca" "secret" (dict "secretName" $c.cacertsSecret "defaultMode" 256)) }}
{{- $volumes = append $volumes (dict "name" "token-key" "secret" (dict "secretName" $c.tokenKeySecret "defaultMode" 256)) }}
{{- else }}
{{- /* The self-signed root and its key outlive the pod: the same root after a restart. */}}
{{- $volumes = append $volumes (dict "name" "ca" "persistentVolumeClaim" (dict "claimName" "keel-citadel-ca")) }}
{{- end }}
{{- toJson $volumes }}
{{- end -}}

{{/* keel.split is true when each component runs as its own Deployment. */}}
{{- define "keel.split" -}}
{{- if eq .Values.mode "split" }}true{{ end }}
{{- end -}}

{{/*
keel.spiffe is the SPIFFE id of one of the release's service accounts.
*/}}
{{- define "keel.spiffe" -}}
{{- printf "spiffe://%s/ns/%s/sa/%s" .root.Values.meshConfig.trustDomain .root.Release.Namespace .account -}}
{{- end -}}

{{/*
keel.controlPlaneIdentityArgs: with global.controlPlaneMtls, whom a
component expects Galley to be (--galley_identity) and, for Galley, whom it
serves MCP (--mcp_client_identities), as a JSON list.
*/}}
{{- define "keel.controlPlaneIdentityArgs" -}}
{{- $args := list -}}
{{- if .root.Values.global.controlPlaneMtls -}}
{{- if eq .name "galley" -}}
{{- $ids := list -}}
{{- range list "keel-pilot" "keel-mixer" "keel-mixer-policy" "keel-mixer-telemetry" "keel-istiod" -}}
{{- $ids = append $ids (include "keel.spiffe" (dict "root" $.root "account" .)) -}}
{{- end -}}
{{- $args = append $args (printf "--mcp_client_identities=%s" (join "," $ids)) -}}
{{- else -}}
{{- $args = append $args (printf "--galley_identity=%s" (include "keel.spiffe" (dict "root" .root "account" "keel-galley"))) -}}
{{- end -}}
{{- end -}}
{{- toJson $args -}}
{{- end -}}

{{/*
keel.galleySource is what Galley reads, as a JSON object: args (its config
source's arguments), volumes, volumeMounts and ports (the webhook's), for
the galley Deployment and the one-process (istiod) one alike.
*/}}
{{- define "keel.galleySource" -}}
{{- $g := .Values.galley }}
{{- $args := list }}
{{- $volumes := list }}
{{- $mounts := list }}
{{- $ports := list }}
{{- if eq $g.source "kubernetes" }}
{{- $args = concat $args (list "--config_source=kubernetes"
      (printf "--cluster_domain=%s" .Values.global.clusterDomain)
      (printf "--trust_domain=%s" .Values.meshConfig.trustDomain)) }}
{{- if $g.webhook.enabled }}
{{- $args = concat $args (list
      (printf "--webhook_address=:%v" $g.webhook.port)
      "--webhook_cert=/var/run/keel/webhook/tls.crt"
      "--webhook_key=/var/run/keel/webhook/tls.key"
      "--webhook_ca=/var/run/keel/webhook/ca.crt"
      (printf "--webhook_configuration=%s" (include "keel.webhookName" .))) }}
{{- $volumes = append $volumes (dict "name" "webhook-tls" "secret" (dict "secretName" $g.webhook.certSecret "defaultMode" 288)) }}
{{- $mounts = append $mounts (dict "name" "webhook-tls" "mountPath" "/var/run/keel/webhook" "readOnly" true) }}
{{- $ports = append $ports (dict "name" "webhook" "port" $g.webhook.port) }}
{{- if $g.injection.enabled }}
{{- $args = concat $args (list "--injection_template=/etc/keel/injection/injection.yaml"
      (printf "--injection_configuration=%s" (include "keel.injectorName" .))) }}
{{- $volumes = append $volumes (dict "name" "injection" "configMap" (dict "name" "keel-injection")) }}
{{- $mounts = append $mounts (dict "name" "injection" "mountPath" "/etc/keel/injection" "readOnly" true) }}
{{- end }}
{{- end }}
{{- else if eq $g.source "etcd" }}
{{- if eq .Values.etcd.mode "none" }}
{{- fail "galley.source: etcd needs etcd.mode bundled or external" }}
{{- end }}
{{- $args = append $args (include "keel.etcdEndpoints" .) }}
{{- else }}
{{- $args = append $args "--config_dir=/etc/keel/config" }}
{{- with include "keel.etcdEndpoints" . }}
{{- $args = append $args . }}
{{- end }}
{{- end }}
{{- toJson (dict "args" $args "volumes" $volumes "volumeMounts" $mounts "ports" $ports) }}
{{- end -}}

{{/* keel.webhookName names the ValidatingWebhookConfiguration (cluster-wide: one per release namespace). */}}
{{- define "keel.webhookName" -}}
{{- printf "keel-galley-%s" .Release.Namespace -}}
{{- end -}}

{{/* keel.injectorName names the MutatingWebhookConfiguration of proxyless injection. */}}
{{- define "keel.injectorName" -}}
{{- printf "keel-injector-%s" .Release.Namespace -}}
{{- end -}}
