"""The pipeline's steps as functions of typed settings and frames, returning frames, documents and metrics.

Stage scripts, benchmarks and tests call these; none of them needs DVC or MLflow. Each step is its
own module so a stage imports only what it uses.
"""
