{
  # The host build (`node-gyp rebuild`, run by `npm install`). The Windows
  # prebuild is cross-compiled by scripts/build-win32.mjs from the same sources.
  "targets": [
    {
      "target_name": "ipckit_native",
      "sources": ["src/addon.cc", "src/sync_thread.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      "conditions": [
        ["OS=='linux'", { "sources": ["src/wait_word_linux.cc", "src/blocking_ops_linux.cc"] }],
        ["OS=='win'", {
          "sources": ["src/wait_word_win32.cc", "src/blocking_ops_win32.cc"],
          "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1 } }
        }],
        ["OS!='linux' and OS!='win'", { "sources": ["src/wait_word_unsupported.cc", "src/blocking_ops_unsupported.cc"] }],
        ["OS=='mac'", {
          "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "CLANG_CXX_LANGUAGE_STANDARD": "c++17" }
        }]
      ]
    }
  ]
}
