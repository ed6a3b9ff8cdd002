//! Python bindings of wangge (placeholder until the bindings land).
