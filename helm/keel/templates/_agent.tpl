{{- /*
keel-agent beside a workload, as Istio 1.x's istio-proxy container: it
obtains the workload's certificate from Citadel with a bootstrap token,
renews it, and writes the gRPC xDS bootstrap the application reads
(GRPC_XDS_BOOTSTRAP). These templates are the chart's own `workloads` and
are meant for other charts too (a parent chart can include them):

  containers:
    {{ include "keel.agent.container" $ctx | nindent 4 }}
    - name: app
      env: {{ include "keel.agent.appEnv" $ctx | nindent 8 }}
      volumeMounts: {{ include "keel.agent.appMounts" $ctx | nindent 8 }}
  volumes: {{ include "keel.agent.volumes" $ctx | nindent 4 }}

with $ctx = dict "root" $ (the keel chart's context) "workload" (a dict with
serviceAccount, labels and optionally tokenSecret, locality).
*/}}

{{- define "keel.agent.tokenSecret" -}}
{{- default (printf "keel-token-%s" .workload.serviceAccount) .workload.tokenSecret -}}
{{- end -}}

{{- define "keel.agent.container" -}}
{{- $root := .root -}}
{{- $a := $root.Values.agent -}}
{{- $ns := $root.Release.Namespace -}}
{{- $domain := $root.Values.global.clusterDomain -}}
- name: keel-agent
  image: {{ printf "%s/%s:%s" $root.Values.global.hub "agent" (default $root.Chart.AppVersion $root.Values.global.tag) }}
  imagePullPolicy: {{ $root.Values.global.imagePullPolicy }}
  args:
    - --citadel_address={{ printf "keel-citadel.%s.svc.%s:%v" $ns $domain $root.Values.citadel.grpcPort }}
    - --citadel_root_file=/var/run/keel/ca-root/root-cert.pem
    - --token_file=/var/run/keel/token/token
    - --cert_dir=/var/run/keel/certs
    - --bootstrap_file=/var/run/keel/bootstrap/bootstrap.json
    - --pilot_address={{ printf "keel-pilot.%s.svc.%s:%v" $ns $domain $root.Values.pilot.grpcPort }}
    # Istio's node id: sidecar~IP~POD.NAMESPACE~NAMESPACE.svc.DOMAIN.
    - --node_id=sidecar~$(POD_IP)~$(POD_NAME).$(POD_NAMESPACE)~$(POD_NAMESPACE).svc.{{ $domain }}
    {{- with .workload.labels }}
    - --labels={{ include "keel.agent.labelList" . }}
    {{- end }}
    {{- with .workload.locality }}
    - --locality={{ . }}
    {{- end }}
    - --key_type={{ $a.keyType }}
    {{- if $a.certTtl }}
    - --cert_ttl={{ $a.certTtl }}
    {{- end }}
    - --renew_fraction={{ $a.renewFraction }}
    # Istio's agent status port: the kubelet probes /readyz here.
    - --monitoring_address=:{{ $a.statusPort }}
    - --log_format={{ $root.Values.global.logFormat }}
    - --log_level={{ $root.Values.global.logLevel }}
  env:
    - name: POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: POD_NAMESPACE
      valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
    - name: POD_IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
  ports:
    - name: agent-status
      containerPort: {{ $a.statusPort }}
      protocol: TCP
  # The kubelet starts the next container, the application, only once this
  # hook returns: keel-agent comes first in a pod, so the application's first
  # xDS and mTLS calls find the bootstrap and a certificate (Istio's
  # holdApplicationUntilProxyStarts).
  lifecycle:
    postStart:
      exec:
        command: [/usr/local/bin/keel-agent, wait, "--monitoring_address=127.0.0.1:{{ $a.statusPort }}"]
  readinessProbe:
    httpGet:
      path: /readyz
      port: agent-status
    periodSeconds: 5
  livenessProbe:
    httpGet:
      path: /healthz
      port: agent-status
    initialDelaySeconds: 5
    periodSeconds: 10
  {{- with $a.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 1337
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    capabilities:
      drop: ["ALL"]
  volumeMounts:
    - name: keel-certs
      mountPath: /var/run/keel/certs
    - name: keel-bootstrap
      mountPath: /var/run/keel/bootstrap
    - name: keel-token
      mountPath: /var/run/keel/token
      readOnly: true
    - name: keel-ca-root
      mountPath: /var/run/keel/ca-root
      readOnly: true
{{- end -}}

{{- define "keel.agent.labelList" -}}
{{- $pairs := list -}}
{{- range $k, $v := . }}{{ $pairs = append $pairs (printf "%s=%s" $k $v) }}{{ end -}}
{{- join "," $pairs -}}
{{- end -}}

{{- /* The application's side: where its xDS bootstrap and certificates are. */}}
{{- define "keel.agent.appEnv" -}}
- name: GRPC_XDS_BOOTSTRAP
  value: /var/run/keel/bootstrap/bootstrap.json
{{- end -}}

{{- define "keel.agent.appMounts" -}}
- name: keel-certs
  mountPath: /var/run/keel/certs
  readOnly: true
- name: keel-bootstrap
  mountPath: /var/run/keel/bootstrap
  readOnly: true
{{- end -}}

{{- define "keel.agent.volumes" -}}
- name: keel-certs
  emptyDir: {medium: Memory}
- name: keel-bootstrap
  emptyDir: {medium: Memory}
# The bootstrap token, bound to the namespace and service account:
#   citadel issue-token NAMESPACE SERVICE_ACCOUNT (docs/citadel.md).
- name: keel-token
  secret:
    secretName: {{ include "keel.agent.tokenSecret" . }}
    defaultMode: 0400
# Citadel's root, which verifies Citadel before the first certificate.
- name: keel-ca-root
  configMap:
    name: {{ .root.Values.agent.caRootConfigMap }}
{{- end -}}
