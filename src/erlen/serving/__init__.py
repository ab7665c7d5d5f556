"""The edges: the only code that speaks a protocol or owns a socket."""
