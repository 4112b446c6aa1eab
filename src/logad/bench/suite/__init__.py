"""The comparison suite of issue 9: contenders, their shared data and fitted-model cache, and scoring helpers that
the suite's scenarios (standard, few-labels, unstable, unseen-templates, drift, partial, speed) build on."""
