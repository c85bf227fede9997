// Marks the harness's "SDK" include directory; nothing includes it.
