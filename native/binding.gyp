{
  "targets": [
    {
      "target_name": "grasplab_native",
      "sources": [
        "src/addon.cc",
        "src/conv.cc",
        "src/thread_pool.cc",
        "src/kernel_avx2.cc",
        "src/kernel_avx512.cc",
        "src/kernel_generic.cc"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags!": ["-fno-exceptions", "-O2"],
      "cflags_cc!": ["-fno-exceptions", "-O2"],
      "cflags": ["-O3"],
      "cflags_cc": ["-O3", "-fexceptions"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "OTHER_CPLUSPLUSFLAGS": ["-O3"]
      }
    }
  ]
}
