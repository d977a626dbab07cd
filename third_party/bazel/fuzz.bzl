"""keel_fuzz_target: a libFuzzer target and the test that replays its corpus."""

def keel_fuzz_target(name, srcs, deps, corpus_dirs, data = []):
    """`name` links libFuzzer under --config=fuzz, else the corpus driver;
    `name`_corpus_test replays `corpus_dirs` (package-relative) through it."""
    native.cc_binary(
        name = name,
        srcs = srcs,
        linkopts = select({
            "//libs/common/fuzz:fuzzing": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        deps = deps + select({
            "//libs/common/fuzz:fuzzing": [],
            "//conditions:default": ["//libs/common/fuzz:driver"],
        }),
    )
    package = native.package_name()
    native.sh_test(
        name = name + "_corpus_test",
        size = "small",
        srcs = ["//libs/common/fuzz:replay_corpus.sh"],
        args = ["%s/%s" % (package, name)] + ["%s/%s" % (package, d) for d in corpus_dirs],
        data = [":" + name] + data + native.glob(["%s/**" % d for d in corpus_dirs]),
    )
