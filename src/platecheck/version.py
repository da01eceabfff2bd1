"""The version of platecheck, importable from any stage without loading the package API."""

__version__ = "0.1.0"
