"""keel_proto_library: .proto -> C++ messages (+ gRPC stubs) with Debian's
protoc and grpc_cpp_plugin."""

def _grpc_cc_sources_impl(ctx):
    proto_info = ctx.attr.proto[ProtoInfo]
    outputs = []
    for src in proto_info.direct_sources:
        base = src.basename[:-len(".proto")]
        outputs.append(ctx.actions.declare_file(base + ".grpc.pb.h"))
        outputs.append(ctx.actions.declare_file(base + ".grpc.pb.cc"))

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
    return [DefaultInfo(files = depset(outputs))]

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
            default = "//third_party:grpc_cpp_plugin",
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
        _grpc_cc_sources(name = name + "_grpc_sources", proto = ":" + name)
        native.cc_library(
            name = name + "_grpc_cc",
            srcs = [":" + name + "_grpc_sources"],
            deps = [":" + name + "_cc", "//third_party:grpc"],
            copts = ["-Wno-unused-parameter"],
            visibility = visibility,
        )
