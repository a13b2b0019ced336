"""Pictures of the graph: layered layout (``layering``, ``layout``), what a picture shows
(``picture``), its renderers (``svg``, ``dot``, ``mermaid``, ``html``), the step-by-step
picture and its player (``frames``, ``steps``, ``player``, ``player_script``) and writing
files (``output``). :mod:`.drawing` is the Python entry point.
"""
