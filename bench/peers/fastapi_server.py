#!/usr/bin/env python3
"""The classic recipe, as a reference for bench/http/run.mjs: FastAPI + uvicorn + LightGBM.

    python3 bench/peers/fastapi_server.py models/hr-attrition 8100

Same model file and the same JSON body as `lgbm serve`. Kept to the recipe's shape: a pydantic model of
the fields, a one-row DataFrame-like encoding (one-hot from spec.json), booster.predict, and a
{"prediction", "probability"} answer. Needs: pip install fastapi uvicorn lightgbm numpy.
"""

from __future__ import annotations

import json
import os
import sys

import lightgbm as lgb
import numpy as np
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

bundle = sys.argv[1] if len(sys.argv) > 1 else "models/hr-attrition"
port = int(sys.argv[2]) if len(sys.argv) > 2 else 8100
booster = lgb.Booster(model_file=os.path.join(bundle, "model.txt"))
spec = json.load(open(os.path.join(bundle, "spec.json")))


class Employee(BaseModel):
    satisfaction_level: float
    last_evaluation: float
    number_project: int
    average_montly_hours: int
    time_spend_company: int
    Work_accident: int
    promotion_last_5years: int
    sales: str
    salary: str


app = FastAPI(title="HR attrition (classic recipe)")


def encode(rec: dict) -> np.ndarray:
    row: list[float] = []
    for f in spec["fields"]:
        v = rec[f["name"]]
        if f["type"] == "category":
            row.extend(1.0 if v == c else 0.0 for c in f["values"])
        else:
            row.append(float(v))
    return np.array([row])


@app.post("/predict")
def predict(employee: Employee):
    p = float(booster.predict(encode(employee.model_dump()))[0])
    return {"prediction": int(p >= 0.5), "probability": p}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
