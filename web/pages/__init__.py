"""The dashboard's pages, one module each: gather typed rows, render a template."""
