"""Local stand-ins for the repositories Bazel 4.2.3 would download.

Nothing here touches the network: each repository is written from the text in
this file or from files Debian installed under /usr.
"""

_RULES_CC_DEFS = '''
"""Forwards the rules_cc macros to Bazel's native rules (Debian's rules_cc 0.0.4
needs a newer Bazel)."""

def cc_binary(**kwargs):
    native.cc_binary(**kwargs)

def cc_library(**kwargs):
    native.cc_library(**kwargs)

def cc_test(**kwargs):
    native.cc_test(**kwargs)

def cc_import(**kwargs):
    native.cc_import(**kwargs)

def cc_proto_library(**kwargs):
    native.cc_proto_library(**kwargs)

def cc_toolchain(**kwargs):
    native.cc_toolchain(**kwargs)

def cc_toolchain_suite(**kwargs):
    native.cc_toolchain_suite(**kwargs)

def objc_library(**kwargs):
    native.objc_library(**kwargs)

def objc_import(**kwargs):
    native.objc_import(**kwargs)
'''

_COVERAGE_TOOLS_BUILD = '''
package(default_visibility = ["//visibility:public"])

# Coverage is not collected offline; these targets only satisfy the implicit
# dependency every *_test rule has on @remote_coverage_tools.
sh_binary(name = "lcov_merger", srcs = ["noop.sh"])
sh_binary(name = "coverage_report_generator", srcs = ["noop.sh"])
filegroup(name = "coverage_report_generator.sh", srcs = ["noop.sh"])
'''

# Well-known type -> the well-known types it imports.
_WELL_KNOWN_PROTOS = {
    "any": [],
    "api": ["source_context", "type"],
    "descriptor": [],
    "duration": [],
    "empty": [],
    "field_mask": [],
    "source_context": [],
    "struct": [],
    "timestamp": [],
    "type": ["any", "source_context"],
    "wrappers": [],
}

def _written_repository_impl(ctx):
    for path, content in ctx.attr.files.items():
        ctx.file(path, content, executable = path.endswith(".sh"))

_written_repository = repository_rule(
    implementation = _written_repository_impl,
    attrs = {"files": attr.string_dict()},
    local = True,
)

def _system_protobuf_impl(ctx):
    ctx.symlink("/usr/bin/protoc", "protoc_bin")
    build = [
        'package(default_visibility = ["//visibility:public"])',
        "",
        'sh_binary(name = "protoc", srcs = ["protoc_bin"])',
        "",
        "# The runtime is Debian's libprotobuf; the well-known types are compiled into it.",
        'cc_library(name = "protobuf", linkopts = ["-lprotobuf", "-pthread"])',
        "",
    ]
    wkt_targets = []
    for wkt, imports in _WELL_KNOWN_PROTOS.items():
        src = "google/protobuf/%s.proto" % wkt
        ctx.symlink("/usr/include/" + src, src)
        deps = ", ".join(['":%s_proto"' % i for i in imports])
        build.append('proto_library(name = "%s_proto", srcs = ["%s"], deps = [%s])' % (wkt, src, deps))
        wkt_targets.append('":%s_proto"' % wkt)
    build += [
        "",
        "proto_lang_toolchain(",
        '    name = "cc_toolchain",',
        '    command_line = "--cpp_out=$(OUT)",',
        '    runtime = ":protobuf",',
        "    blacklisted_protos = [%s]," % ", ".join(wkt_targets),
        ")",
    ]
    ctx.file("BUILD.bazel", "\n".join(build) + "\n")
    ctx.file("WORKSPACE", 'workspace(name = "com_google_protobuf")\n')

_system_protobuf = repository_rule(
    implementation = _system_protobuf_impl,
    local = True,
)

def keel_offline_repositories():
    _written_repository(
        name = "rules_cc",
        files = {
            "WORKSPACE": 'workspace(name = "rules_cc")\n',
            "BUILD.bazel": "",
            "cc/BUILD.bazel": "",
            "cc/defs.bzl": _RULES_CC_DEFS,
        },
    )
    _written_repository(
        name = "remote_coverage_tools",
        files = {
            "WORKSPACE": 'workspace(name = "remote_coverage_tools")\n',
            "BUILD.bazel": _COVERAGE_TOOLS_BUILD,
            "noop.sh": "#!/bin/sh\nexit 0\n",
        },
    )
    _system_protobuf(name = "com_google_protobuf")
    envoy_api_repository(name = "envoy_api", package_dir = "grpc-js-xds-1.14.1")
    etcd_api_repository(name = "etcd_api", package_dir = "etcd-api-3.4")
    istio_api_data_repository(name = "istio_api_data", package_dir = "istio-api-1.4")

# The Envoy v3 API, xDS and UDPA, googleapis and protoc-gen-validate .proto
# files as shipped by the pinned npm package @grpc/grpc-js-xds, which
# scripts/install-deps.sh unpacks into .deps/. They are merged into one
# repository rooted at their import paths, with one proto_library per file
# (deps from its imports), so that Bazel compiles only the closure Keel uses.
_ENVOY_API_ROOTS = {
    "envoy": "envoy-api/envoy",
    "xds": "xds/xds",
    "udpa": "xds/udpa",
    "validate": "protoc-gen-validate/validate",
    "google/api": "googleapis/google/api",
    "google/rpc": "googleapis/google/rpc",
}

# Files whose gRPC services Keel serves or calls.
_ENVOY_API_GRPC = [
    "envoy/service/discovery/v3/ads.proto",
    "envoy/service/secret/v3/sds.proto",
    "envoy/service/status/v3/csds.proto",
]

def _target_name(import_path):
    return import_path[:-len(".proto")].replace("/", "_").replace("-", "_").replace(".", "_") + "_proto"

def _proto_imports(content):
    imports = []
    for line in content.splitlines():
        line = line.strip()
        if not line.startswith("import "):
            continue
        first = line.find('"')
        last = line.rfind('"')
        if first >= 0 and last > first:
            imports.append(line[first + 1:last])
    return imports

# Makes an object file holding a file's bytes between the symbols NAME and
# NAME_end (the assembler's .incbin: no giant C array to compile).
_EMBED_OBJECT_SCRIPT = """#!/bin/sh
set -eu
name=$1 input=$2 output=$3
printf '.section .rodata\\n.balign 8\\n.global %s\\n%s:\\n.incbin "%s"\\n.global %s_end\\n%s_end:\\n.section .note.GNU-stack,"",@progbits\\n' \\
  "$name" "$name" "$input" "$name" "$name" | as -o "$output" -
"""

def _envoy_api_impl(ctx):
    workspace = ctx.path(Label("@//:WORKSPACE")).dirname
    deps_dir = "%s/.deps/%s/package/deps" % (workspace, ctx.attr.package_dir)
    if not ctx.path(deps_dir).exists:
        fail("Envoy API protos not found at %s: run scripts/install-deps.sh" % deps_dir)
    for root, source in _ENVOY_API_ROOTS.items():
        ctx.symlink(ctx.path(deps_dir + "/" + source), root)

    # Walk every tree (Starlark has no recursion: keep a stack).
    files = []
    stack = [root for root in _ENVOY_API_ROOTS.keys()]
    for _ in range(100000):
        if not stack:
            break
        rel = stack.pop()
        for child in ctx.path(rel).readdir():
            child_rel = rel + "/" + child.basename
            if child.basename.endswith(".proto"):
                files.append(child_rel)
            elif not "." in child.basename:
                stack.append(child_rel)
    known = {f: True for f in files}

    build = [
        'load("@//third_party/bazel:proto.bzl", "keel_grpc_cc_library")',
        'package(default_visibility = ["//visibility:public"])',
        "",
    ]
    for f in sorted(files):
        deps = []
        for imp in _proto_imports(ctx.read(f)):
            if imp.startswith("google/protobuf/"):
                deps.append('"@com_google_protobuf//:%s_proto"' % imp[len("google/protobuf/"):-len(".proto")])
            elif imp in known:
                deps.append('":%s"' % _target_name(imp))
        name = _target_name(f)
        build.append('proto_library(name = "%s", srcs = ["%s"], deps = [%s])' % (name, f, ", ".join(deps)))
        build.append('cc_proto_library(name = "%s_cc", deps = [":%s"])' % (name, name))
    # Every file whose imports all resolve inside the package (or are
    # protobuf's well-known types) goes into one descriptor set, so that any
    # Envoy extension's config can be read and checked by type URL even when
    # Keel compiles no C++ for it. Files needing protos the package lacks
    # (the v2 API, OpenCensus, OpenTelemetry) are left out.
    imports_of = {f: _proto_imports(ctx.read(f)) for f in files}
    complete = {}
    for _ in range(100):
        changed = False
        for f in files:
            if f in complete:
                continue
            ok = True
            for imp in imports_of[f]:
                if not (imp.startswith("google/protobuf/") or imp in complete):
                    ok = False
                    break
            if ok:
                complete[f] = True
                changed = True
        if not changed:
            break
    complete_files = sorted([f for f in files if f in complete and f.startswith("envoy/")])
    build.append("genrule(")
    build.append('    name = "all_descriptor_set",')
    build.append("    srcs = [%s]," % ", ".join(['"%s"' % f for f in sorted(files)]))
    build.append('    outs = ["all_descriptors.pb"],')
    build.append('    cmd = "/usr/bin/protoc -Iexternal/envoy_api -I/usr/include --include_imports --descriptor_set_out=$@ %s",' % " ".join(complete_files))
    build.append(")")
    ctx.file("embed_object.sh", _EMBED_OBJECT_SCRIPT, executable = True)
    build.append("genrule(")
    build.append('    name = "all_descriptor_set_object",')
    build.append('    srcs = [":all_descriptors.pb"],')
    build.append('    outs = ["all_descriptors.o"],')
    build.append('    tools = ["embed_object.sh"],')
    build.append('    cmd = "$(location embed_object.sh) keel_envoy_descriptor_set $< $@",')
    build.append(")")
    build.append("# The serialized FileDescriptorSet of every complete Envoy API file, between")
    build.append("# the symbols keel_envoy_descriptor_set and keel_envoy_descriptor_set_end.")
    build.append('cc_library(name = "all_descriptor_set_cc", srcs = ["all_descriptors.o"], linkstatic = True)')
    for f in _ENVOY_API_GRPC:
        name = _target_name(f)
        build.append('keel_grpc_cc_library(name = "%s_grpc_cc", proto = ":%s", cc_proto = ":%s_cc")' % (name, name, name))
    ctx.file("BUILD.bazel", "\n".join(build) + "\n")
    ctx.file("WORKSPACE", 'workspace(name = "envoy_api")\n')

envoy_api_repository = repository_rule(
    implementation = _envoy_api_impl,
    attrs = {"package_dir": attr.string(mandatory = True)},
    local = True,
)

# etcd 3.4's gRPC API (KV, Watch, Lease, ...) as Debian's
# golang-etcd-server-dev ships it, with its Go-only options stripped by
# scripts/install-deps.sh into .deps/.
def _etcd_api_impl(ctx):
    workspace = ctx.path(Label("@//:WORKSPACE")).dirname
    root = "%s/.deps/%s/etcd" % (workspace, ctx.attr.package_dir)
    if not ctx.path(root).exists:
        fail("etcd API protos not found at %s: run scripts/install-deps.sh" % root)
    ctx.symlink(ctx.path(root), "etcd")
    ctx.file("BUILD.bazel", """load("@//third_party/bazel:proto.bzl", "keel_grpc_cc_library")
package(default_visibility = ["//visibility:public"])

proto_library(name = "kv_proto", srcs = ["etcd/mvcc/mvccpb/kv.proto"])
proto_library(name = "auth_proto", srcs = ["etcd/auth/authpb/auth.proto"])
proto_library(
    name = "rpc_proto",
    srcs = ["etcd/etcdserver/etcdserverpb/rpc.proto"],
    deps = [":kv_proto", ":auth_proto"],
)
cc_proto_library(name = "rpc_proto_cc", deps = [":rpc_proto"])
keel_grpc_cc_library(name = "rpc_proto_grpc_cc", proto = ":rpc_proto", cc_proto = ":rpc_proto_cc")
""")
    ctx.file("WORKSPACE", 'workspace(name = "etcd_api")\n')

etcd_api_repository = repository_rule(
    implementation = _etcd_api_impl,
    attrs = {"package_dir": attr.string(mandatory = True)},
    local = True,
)

# Istio 1.4's API data files (Mixer's global word list), from the pinned Go
# module istio.io/api that scripts/install-deps.sh fetches into .deps/.
# global_dictionary_cc holds the list's bytes between the symbols
# keel_istio14_global_dictionary and keel_istio14_global_dictionary_end.
def _istio_api_data_impl(ctx):
    workspace = ctx.path(Label("@//:WORKSPACE")).dirname
    root = "%s/.deps/%s" % (workspace, ctx.attr.package_dir)
    dictionary = root + "/mixer/v1/global_dictionary.yaml"
    if not ctx.path(dictionary).exists:
        fail("Istio API data not found at %s: run scripts/install-deps.sh" % dictionary)
    ctx.symlink(ctx.path(dictionary), "global_dictionary.yaml")
    ctx.file("embed_object.sh", _EMBED_OBJECT_SCRIPT, executable = True)
    ctx.file("BUILD.bazel", "\n".join([
        'package(default_visibility = ["//visibility:public"])',
        'exports_files(["global_dictionary.yaml"])',
        "genrule(",
        '    name = "global_dictionary_object",',
        '    srcs = ["global_dictionary.yaml"],',
        '    outs = ["global_dictionary.o"],',
        '    tools = ["embed_object.sh"],',
        '    cmd = "$(location embed_object.sh) keel_istio14_global_dictionary $< $@",',
        ")",
        'cc_library(name = "global_dictionary_cc", srcs = ["global_dictionary.o"], linkstatic = True)',
    ]) + "\n")
    ctx.file("WORKSPACE", 'workspace(name = "istio_api_data")\n')

istio_api_data_repository = repository_rule(
    implementation = _istio_api_data_impl,
    attrs = {"package_dir": attr.string(mandatory = True)},
    local = True,
)
