#!/usr/bin/env python3
"""The classic recipe, as the issue describes it: FastAPI + uvicorn + a pickled LightGBM model.

    python3 bench/peers/classic_recipe.py models/hr-attrition 8101

What tutorials ship: at start-up, unpickle an sklearn-API `LGBMClassifier`, a fitted scikit-learn
`OneHotEncoder` and the feature list; per request, build a one-row pandas DataFrame from the pydantic
body, one-hot encode `sales` and `salary` with the encoder, concatenate, call `predict` and
`predict_proba`, log a line (to `sample.log`, as the recipe does), and answer
`{"prediction", "probability"}`. The pickles are made on first run in bench/.cache/classic/ from the
bundle's data/hr.csv (LightGBM defaults: 100 trees, 31 leaves), so nothing binary is committed.
bench/peers/fastapi_server.py is the lean variant (numpy row, Booster.predict) for comparison.
Needs: pip install fastapi uvicorn lightgbm scikit-learn pandas.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys

import lightgbm as lgb
import pandas as pd
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel
from sklearn.preprocessing import OneHotEncoder

bundle = sys.argv[1] if len(sys.argv) > 1 else "models/hr-attrition"
port = int(sys.argv[2]) if len(sys.argv) > 2 else 8101
here = os.path.dirname(os.path.abspath(__file__))
cache = os.path.join(here, "..", ".cache", "classic")
CATEGORICAL = ["sales", "salary"]


def make_pickles() -> None:
    os.makedirs(cache, exist_ok=True)
    df = pd.read_csv(os.path.join(bundle, "data", "hr.csv"))
    y = df.pop("left")
    encoder = OneHotEncoder(handle_unknown="ignore").fit(df[CATEGORICAL])
    encoded = pd.DataFrame(encoder.transform(df[CATEGORICAL]).toarray(), columns=encoder.get_feature_names_out())
    X = pd.concat([df.drop(columns=CATEGORICAL), encoded], axis=1)
    model = lgb.LGBMClassifier(verbose=-1, random_state=42).fit(X, y)
    for name, obj in [("model", model), ("encoder", encoder), ("features", list(X.columns))]:
        with open(os.path.join(cache, f"{name}.pkl"), "wb") as f:
            pickle.dump(obj, f)


if not os.path.exists(os.path.join(cache, "features.pkl")):
    make_pickles()
model = pickle.load(open(os.path.join(cache, "model.pkl"), "rb"))
encoder = pickle.load(open(os.path.join(cache, "encoder.pkl"), "rb"))
features = pickle.load(open(os.path.join(cache, "features.pkl"), "rb"))

logging.basicConfig(filename=os.path.join(cache, "sample.log"), level=logging.INFO)
log = logging.getLogger("classic")


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


@app.post("/predict")
def predict(employee: Employee):
    df = pd.DataFrame([employee.model_dump()])
    encoded = pd.DataFrame(encoder.transform(df[CATEGORICAL]).toarray(), columns=encoder.get_feature_names_out())
    X = pd.concat([df.drop(columns=CATEGORICAL), encoded], axis=1)[features]
    prediction = int(model.predict(X)[0])
    probability = float(model.predict_proba(X)[0][1])
    log.info("prediction %s probability %s", prediction, probability)
    return {"prediction": prediction, "probability": probability}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
