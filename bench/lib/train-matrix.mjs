// Trains a plain binary model on a matrix through the addon (LGBM_DatasetCreateFromMat + UpdateOneIter).
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { root } from "./models.mjs";

export function trainMatrix(X, y, nrow, ncol, iterations, numLeaves, extraParams = "") {
  const { Booster, Dataset } = createRequire(import.meta.url)(join(root, "build/Release/lightgbm_node.node"));
  const params = `objective=binary num_leaves=${numLeaves} min_data_in_leaf=5 max_bin=255 verbose=-1 seed=1 num_threads=${availableParallelism()} ${extraParams}`;
  const ds = new Dataset(X, nrow, ncol, params);
  ds.setField("label", y);
  const booster = new Booster("train", ds, params);
  for (let i = 0; i < iterations; i++) booster.updateOneIter();
  const text = booster.saveModelToString(0, -1, 0);
  booster.dispose();
  ds.dispose();
  return text;
}
