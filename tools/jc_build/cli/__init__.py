"""The command line: one parser, one error path, thin commands over the library."""
