from .compile_model import compile  # noqa: E402,F401  (model compiler entry point: ONNX -> CompiledModule)
from .artifact_runtime import CompiledModule  # noqa: E402,F401
