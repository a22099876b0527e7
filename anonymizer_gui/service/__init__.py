"""`anonymizer-gui serve`: the engine as a local REST and WebSocket service (FastAPI, uvicorn), for
pipelines that want redaction as a step. Optional: `pip install anonymizer-gui[serve]`."""
