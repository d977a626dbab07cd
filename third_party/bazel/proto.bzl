"""keel_proto_library: .proto -> C++ messages (+ gRPC stubs) with Debian's
protoc and grpc_cpp_plugin."""

def _grpc_cc_sources_impl(ctx):
    proto_info = ctx.attr.proto[ProtoInfo]
    headers = []
    sources = []
    package = ctx.label.package
    for src in proto_info.direct_sources:
        # protoc writes <out_root>/<import path>; declare the same file
        # relative to this package.
        stem = _import_path(src, proto_info)[:-len(".proto")]
        if package and stem.startswith(package + "/"):
            stem = stem[len(package) + 1:]
        headers.append(ctx.actions.declare_file(stem + ".grpc.pb.h"))
        sources.append(ctx.actions.declare_file(stem + ".grpc.pb.cc"))
    outputs = headers + sources

    descriptor_sets = proto_info.transitive_descriptor_sets.to_list()
    out_root = ctx.bin_dir.path
    if ctx.label.workspace_root:
        out_root += "/" + ctx.label.workspace_root
    args = ctx.actions.args()
    args.add("--plugin=protoc-gen-grpc=" + ctx.executable._plugin.path)
    args.add("--grpc_out=" + out_root)
    args.add("--descriptor_set_in=" + ":".join([d.path for d in descriptor_sets]))
    args.add_all([_import_path(src, proto_info) for src in proto_info.direct_sources])
    ctx.actions.run(
        executable = ctx.executable._protoc,
        tools = [ctx.executable._plugin],
        inputs = descriptor_sets,
        outputs = outputs,
        arguments = [args],
        mnemonic = "GrpcCppPlugin",
        progress_message = "Generating gRPC C++ stubs for %s" % ctx.label,
    )
    return [
        DefaultInfo(files = depset(outputs)),
        OutputGroupInfo(headers = depset(headers), sources = depset(sources)),
    ]

def _import_path(src, proto_info):
    root = proto_info.proto_source_root
    path = src.path
    if root and root != "." and path.startswith(root + "/"):
        return path[len(root) + 1:]
    return src.short_path

_grpc_cc_sources = rule(
    implementation = _grpc_cc_sources_impl,
    attrs = {
        "proto": attr.label(mandatory = True, providers = [ProtoInfo]),
        "_protoc": attr.label(
            default = "@com_google_protobuf//:protoc",
            executable = True,
            cfg = "exec",
        ),
        "_plugin": attr.label(
            default = Label("//third_party:grpc_cpp_plugin"),
            executable = True,
            cfg = "exec",
        ),
    },
)

def keel_proto_library(name, srcs, deps = [], grpc = False, visibility = None):
    """Declares <name> (proto_library), <name>_cc (messages) and, with grpc,
    <name>_grpc_cc (messages + service stubs).

    deps are other keel_proto_library names or well-known type proto_library
    labels such as "@com_google_protobuf//:any_proto".
    """
    native.proto_library(
        name = name,
        srcs = srcs,
        deps = deps,
        visibility = visibility,
    )
    native.cc_proto_library(
        name = name + "_cc",
        deps = [":" + name],
        visibility = visibility,
    )
    if grpc:
        keel_grpc_cc_library(
            name = name + "_grpc_cc",
            proto = ":" + name,
            cc_proto = ":" + name + "_cc",
            visibility = visibility,
        )

def keel_grpc_cc_library(name, proto, cc_proto, visibility = None):
    """gRPC C++ stubs for the services in `proto` (a proto_library), whose
    messages are compiled by `cc_proto` (its cc_proto_library)."""
    _grpc_cc_sources(name = name + "_sources", proto = proto)
    native.filegroup(name = name + "_hdrs", srcs = [":" + name + "_sources"], output_group = "headers")
    native.filegroup(name = name + "_srcs", srcs = [":" + name + "_sources"], output_group = "sources")
    native.cc_library(
        name = name,
        srcs = [":" + name + "_srcs"],
        hdrs = [":" + name + "_hdrs"],
        deps = [cc_proto, "@//third_party:grpc"],
        copts = ["-Wno-unused-parameter"],
        visibility = visibility,
    )
