"""terms-compiler: licensing terms as YAML in, a multilingual site and a JSON rule bundle out."""

__version__ = "0.1.0"
