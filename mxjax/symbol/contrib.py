"""``mx.sym.contrib``: operators generated from the registry (see ``register.py``), and
MXNet's Python-level helpers built from them (``rand_zipfian``)."""

import math

__all__ = ["rand_zipfian"]


def rand_zipfian(true_classes, num_sampled, range_max):
    """Draw ``num_sampled`` classes from an approximately log-uniform (Zipfian)
    distribution over ``[0, range_max)``: the probability of class ``c`` is
    ``(log(c + 2) - log(c + 1)) / log(range_max + 1)``.

    Returns three Symbols: the sampled classes (int64), and the expected counts (float64)
    of ``true_classes`` and of the sampled classes among ``num_sampled`` draws.
    """
    from . import random
    from .symbol import Symbol
    if not isinstance(true_classes, Symbol):
        raise AssertionError(f"unexpected type {type(true_classes)}")
    log_range = math.log(range_max + 1)
    rand = random.uniform(0, log_range, shape=(num_sampled,), dtype="float64")
    sampled = (rand.exp() - 1).astype("int64") % range_max

    def expected_count(classes):
        c = classes.astype("float64")
        return ((c + 2.0) / (c + 1.0)).log() / log_range * num_sampled

    return sampled, expected_count(true_classes), expected_count(sampled)
