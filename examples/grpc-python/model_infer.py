"""
A Python client of `lgbm serve --grpc-port`: stubs generated from src/server/grpc/grpc_predict_v2.proto by
grpcio-tools, then ModelMetadata, ModelInfer (typed contents) and ModelReady for a model that is not there.
Run by hand (see the README's gRPC section); not a test: CI has no Python.

    python -m grpc_tools.protoc -I src/server/grpc --python_out=STUBS --grpc_python_out=STUBS grpc_predict_v2.proto
    PYTHONPATH=STUBS python examples/grpc-python/model_infer.py 127.0.0.1:8081
"""

import sys

import grpc
import grpc_predict_v2_pb2 as pb
import grpc_predict_v2_pb2_grpc as rpc

RECORD = {
    "satisfaction_level": 0.38,
    "last_evaluation": 0.53,
    "number_project": 2,
    "average_montly_hours": 157,
    "time_spend_company": 3,
    "Work_accident": False,
    "promotion_last_5years": False,
    "sales": "sales",
    "salary": "low",
}
# The contents field of each datatype the model's metadata declares.
FIELD = {"FP64": "fp64_contents", "INT64": "int64_contents", "BOOL": "bool_contents", "BYTES": "bytes_contents"}


def tensor(name, datatype):
    t = pb.ModelInferRequest.InferInputTensor(name=name, datatype=datatype, shape=[1])
    value = RECORD[name]
    getattr(t.contents, FIELD[datatype]).append(value.encode() if datatype == "BYTES" else value)
    return t


stub = rpc.GRPCInferenceServiceStub(grpc.insecure_channel(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8081"))
print("ServerReady:", stub.ServerReady(pb.ServerReadyRequest()).ready)
meta = stub.ModelMetadata(pb.ModelMetadataRequest(name="hr-attrition"))
print("inputs:", [(i.name, i.datatype) for i in meta.inputs])
res = stub.ModelInfer(
    pb.ModelInferRequest(
        model_name="hr-attrition",
        id="py-1",
        inputs=[tensor(i.name, i.datatype) for i in meta.inputs],
        outputs=[pb.ModelInferRequest.InferRequestedOutputTensor(name="predict_proba")],
    )
)
for o in res.outputs:
    print(res.id, o.name, o.datatype, list(o.shape), list(o.contents.fp64_contents))
try:
    stub.ModelReady(pb.ModelReadyRequest(name="nope"))
except grpc.RpcError as e:
    print("ModelReady nope:", e.code(), e.details())
