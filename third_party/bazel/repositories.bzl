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
