from .bdd100k_mots_metric import BDD100KMOTSMetric  # noqa: F401
