"""The data layer: reading and validating inputs, the regulation profiles, scenarios, labels and writers.

Nothing here imports a higher layer (score, rank, allocate, evidence, hearing, cli).

- :mod:`.io` reads CSV / Excel tables as text (headers normalised, Indonesian aliases);
- :mod:`.validate` checks a baseline against the data contract (``schema/``) and a profile;
- :mod:`.profiles` holds the regulations as data tables (``profiles/<name>/*.csv``);
- :mod:`.scenario` loads and validates scenario files over ``config/default_scenario.yaml``;
- :mod:`.embedded` finds the embedded Balikpapan data and the notebooks shipped with the package;
- :mod:`.labels` is the report label catalogue (one YAML per language);
- :mod:`.writers` writes every output file atomically and escaped.
"""
