"""Graph facts about MXNet operators that the registry does not carry.

The registry describes what an operator computes; a ``-symbol.json`` graph also records
which inputs exist for given attributes (no bias input when ``no_bias=True``), which inputs
are auxiliary states the operator mutates (BatchNorm's running statistics), initializers
MXNet attaches to some parameter inputs, and outputs MXNet keeps hidden (BatchNorm's saved
mean and variance count in ``node_row_ptr`` even when not visible). Verified against MXNet
1.9.1; operators not listed have every input, no auxiliary state and only visible outputs.
"""

__all__ = ["input_names", "aux_indices", "input_init", "total_outputs", "output_names",
           "SAME_SHAPE", "NO_PARTIAL_SHAPE", "UNKNOWN_STAYS_UNKNOWN", "SHAPE_NEEDS_KNOWN",
           "REGRESSION", "regression_label_shape", "NON_DIFFERENTIABLE", "ZERO_GRADIENT",
           "STATEFUL", "softmax_label_shape", "input_dtype", "monitor_input_names"]


def _flag(name):
    return lambda attrs: bool(attrs[name])


def _has_bias(attrs):
    return not attrs["no_bias"]


_SEQUENCE = {"sequence_length": _flag("use_sequence_length")}

# Inputs that exist only for some attribute values.
_CONDITIONAL_INPUTS = {
    "FullyConnected": {"bias": _has_bias},
    "Convolution": {"bias": _has_bias},
    "Convolution_v1": {"bias": _has_bias},
    "Deconvolution": {"bias": _has_bias},
    "LeakyReLU": {"gamma": lambda attrs: attrs["act_type"] == "prelu"},
    "RNN": {"state_cell": lambda attrs: attrs["mode"] == "lstm", **_SEQUENCE},
    "SequenceMask": _SEQUENCE,
    "SequenceLast": _SEQUENCE,
    "SequenceReverse": _SEQUENCE,
    "CTCLoss": {"data_lengths": _flag("use_data_lengths"),
                "label_lengths": _flag("use_label_lengths")},
    "softmax": {"length": _flag("use_length")},
    "_contrib_DeformableConvolution": {"bias": _has_bias},
    "_contrib_ModulatedDeformableConvolution": {"bias": _has_bias},
    "_contrib_DeformablePSROIPooling": {"trans": lambda attrs: not attrs["no_trans"]},
    "_contrib_BilinearResize2D": {"like": lambda attrs: attrs["mode"] == "like"},
    "_histogram": {"bins": lambda attrs: attrs["bin_cnt"] is None},
}

# Positions of the inputs an operator writes to (auxiliary states).
_AUX_INPUTS = {"BatchNorm": (3, 4), "_contrib_BatchNormWithReLU": (3, 4), "BatchNorm_v1": (3, 4),
               "IdentityAttachKLSparseReg": (1,), "_contrib_SyncBatchNorm": (3, 4)}

_BN_INIT = {3: '["zero", {}]', 4: '["one", {}]'}
# ``__init__`` attributes MXNet gives input variables that have none.
_INPUT_INIT = {"BatchNorm": _BN_INIT, "_contrib_BatchNormWithReLU": _BN_INIT,
               "BatchNorm_v1": _BN_INIT,
               "_contrib_SyncBatchNorm": _BN_INIT,
               "LeakyReLU": {1: '["Constant", {"value": 0.25}]'},
               "IdentityAttachKLSparseReg": {1: '["zero", {}]'}}

# Total outputs of the node in MXNet's graph, where more than the visible ones.
_TOTAL_OUTPUTS = {
    "BatchNorm": 3, "_contrib_BatchNormWithReLU": 4, "LayerNorm": 3, "GroupNorm": 3,
    "InstanceNorm": 3, "LRN": 2, "L2Normalization": 2, "Dropout": 2, "sort": 2, "topk": 2,
    "_linalg_det": 3, "_linalg_slogdet": 4, "CTCLoss": 2,
    "Pooling": lambda attrs: 2 if attrs["pool_type"] == "max" else 1,  # oneDNN workspace
    "_contrib_Proposal": 2, "_contrib_MultiProposal": 2, "_contrib_DeformablePSROIPooling": 2,
    "_contrib_SyncBatchNorm": 3,
    "BatchNorm_v1": 3, "GridGenerator": 2, "BilinearSampler": 2, "SpatialTransformer": 3,
    "Correlation": 3, "ROIPooling": 2,
}

# Output names where MXNet names them (otherwise ``output`` or ``output0``, ``output1``, ...).
_NORM_NAMES = ("output", "mean", "std")
_OUTPUT_NAMES = {
    "BatchNorm": ("output", "mean", "var"), "BatchNorm_v1": ("output", "mean", "var"),
    "_contrib_BatchNormWithReLU": ("output", "mean", "var"),
    "LayerNorm": _NORM_NAMES, "GroupNorm": _NORM_NAMES, "InstanceNorm": _NORM_NAMES,
    "LRN": ("output",), "L2Normalization": ("output",), "Dropout": ("output",),
    "Pooling": ("output",), "LeakyReLU": ("output", "mask"),
    "RNN": ("output", "state_output", "statecell_output"),
    "_contrib_Proposal": ("output", "score"), "_contrib_MultiProposal": ("output", "score"),
    "_contrib_DeformablePSROIPooling": ("output",),
    "_contrib_SyncBatchNorm": ("output", "mean", "var"),
    "_contrib_MultiBoxTarget": ("loc_target", "loc_mask", "cls_target"),
    **dict.fromkeys(("GridGenerator", "BilinearSampler", "SpatialTransformer", "Correlation",
                     "ROIPooling"), ("output",)),
    "_contrib_hawkesll": ("output", "out_state"),
}


def input_names(spec, attrs, n_given=None):
    """The inputs a node of ``spec`` has for ``attrs`` (``n_given``: count, if variadic)."""
    if spec.variadic:
        return [f"{spec.inputs[0]}{i}" for i in range(n_given or 0)]
    if spec.inputs_for is not None:
        return list(spec.inputs_for(attrs))
    rules = _CONDITIONAL_INPUTS.get(spec.name, {})
    return [n for n in spec.inputs if n not in rules or rules[n](attrs)]


def aux_indices(spec, attrs, n_inputs):
    """Positions of the inputs the operator writes to: they are auxiliary states."""
    return (*_AUX_INPUTS.get(spec.name, ()), *spec.mutated_inputs(attrs, n_inputs))


def input_init(spec, index):
    """The ``__init__`` string MXNet attaches to input ``index``, or None."""
    return _INPUT_INIT.get(spec.name, {}).get(index)


def total_outputs(spec, attrs):
    visible = spec.num_outputs_for(attrs)
    total = _TOTAL_OUTPUTS.get(spec.name, visible)
    return max(visible, total(attrs) if callable(total) else total)


def output_names(spec, attrs):
    """Names of the visible outputs (``fc1_output`` is ``fc1`` + ``_`` + ``output``)."""
    if spec.outputs_for is not None:
        return list(spec.outputs_for(attrs))
    visible = spec.num_outputs_for(attrs)
    names = _OUTPUT_NAMES.get(spec.name)
    if names is not None:
        return list(names[:visible])
    if total_outputs(spec, attrs) == 1:
        return ["output"]
    return [f"output{i}" for i in range(visible)]


# Operators whose inputs all have one shape (MXNet infers a missing one from the others).
SAME_SHAPE = frozenset((
    "elemwise_add", "elemwise_sub", "elemwise_mul", "elemwise_div", "_mod", "_power",
    "_maximum", "_minimum", "_hypot", "_equal", "_not_equal", "_greater", "_greater_equal",
    "_lesser", "_lesser_equal", "_logical_and", "_logical_or", "_logical_xor", "add_n",
    "_identity_with_attr_like_rhs"))

# Operators whose label input MXNet infers from the data (``regression_label_shape``).
REGRESSION = frozenset(("LinearRegressionOutput", "MAERegressionOutput",
                        "LogisticRegressionOutput"))


# Operators whose MXNet shape rule gives up on an input with unknown (0) dimensions, so
# partial inference leaves their outputs unknown.
NO_PARTIAL_SHAPE = frozenset(("Flatten",))

# Operators whose output dimension is unknown wherever their input's is, even where
# begin/end alone would fix it (MXNet's slice rules skip unknown dimensions).
UNKNOWN_STAYS_UNKNOWN = frozenset(("slice", "slice_axis"))

# Operators MXNet registers no gradient for: binding for a backward pass through one fails.
NON_DIFFERENTIABLE = frozenset(("batch_take", "argmax_channel", "_histogram", "khatri_rao",
                                "_contrib_allclose"))

# Operators that pass no gradient back to their inputs (MXNet prunes the pass behind them).
ZERO_GRADIENT = frozenset((
    "BlockGrad", "shape_array", "size_array", "argmax", "argmin", "argsort", "round", "rint",
    "ceil", "floor", "trunc", "fix", "logical_not", "zeros_like", "ones_like",
    "_contrib_arange_like", "_contrib_index_array",
    # legacy operators whose backward reads no head gradient and writes zeros
    "_contrib_Proposal", "_contrib_MultiProposal", "_contrib_MultiBoxTarget"))

# Operators that keep state between calls: common-subexpression elimination skips them.
STATEFUL = frozenset(("Custom", "RNN"))

# Operators whose MXNet shape rule infers nothing until the named input is fully known.
SHAPE_NEEDS_KNOWN = {"where": "condition"}


def softmax_label_shape(data_shape, attrs):
    """SoftmaxOutput's label: one class index per prediction."""
    if attrs["multi_output"]:
        return (data_shape[0], *data_shape[2:])
    return tuple(data_shape[:-1])


def regression_label_shape(data_shape):
    """A regression output's label: the data's shape, or ``(N,)`` for data ``(N, 1)``."""
    if len(data_shape) == 2 and data_shape[1] == 1:
        return (data_shape[0],)
    return tuple(data_shape)


def _bn_param_dtype(dtype, attrs):  # noqa: ARG001
    return "float32" if dtype == "float16" else dtype  # float16 data, float32 statistics


# The dtype (name) of an input left unknown, from the first known input dtype (None if
# none is known); by default the same.
_INPUT_DTYPES = {
    "Embedding": {"weight": lambda dtype, attrs: attrs["dtype"]},
    **{op: dict.fromkeys(("gamma", "beta", "moving_mean", "moving_var"), _bn_param_dtype)
       for op in ("BatchNorm", "_contrib_BatchNormWithReLU")},
}


def input_dtype(spec, name, known, attrs):
    rule = _INPUT_DTYPES.get(spec.name, {}).get(name)
    if rule is None or (known is None and rule is _bn_param_dtype):
        return known
    return rule(known, attrs)


# Operators that name their inputs for an executor's monitor (``conv_weight``); a monitor
# sees the inputs of any other operator as ``input0``, ``input1``... (``act_input0``).
_NAMED_INPUTS = frozenset((
    "BatchNorm", "BatchNorm_v1", "BilinearSampler", "CTCLoss", "Concat", "Convolution",
    "Convolution_v1", "Correlation", "Crop", "Custom", "Deconvolution", "Dropout", "Embedding",
    "FullyConnected", "GridGenerator", "GroupNorm", "IdentityAttachKLSparseReg", "InstanceNorm",
    "L2Normalization", "LRN", "LayerNorm", "LeakyReLU", "MakeLoss", "Pad", "Pooling",
    "Pooling_v1", "RNN", "ROIPooling", "SVMOutput", "SequenceLast", "SequenceMask",
    "SequenceReverse", "SliceChannel", "SoftmaxOutput", "SpatialTransformer", "SwapAxis",
    "UpSampling", "LinearRegressionOutput", "MAERegressionOutput", "LogisticRegressionOutput",
    "_contrib_BatchNormWithReLU", "_contrib_BilinearResize2D", "_contrib_DeformableConvolution",
    "_contrib_DeformablePSROIPooling", "_contrib_MultiBoxDetection", "_contrib_MultiBoxPrior",
    "_contrib_MultiBoxTarget", "_contrib_MultiProposal", "_contrib_PSROIPooling",
    "_contrib_Proposal", "_contrib_ROIAlign", "_contrib_RROIAlign", "_contrib_SyncBatchNorm",
    "_contrib_allclose", "_contrib_box_decode", "_contrib_box_encode", "_contrib_box_iou",
    "_contrib_calibrate_entropy", "_contrib_dequantize", "_contrib_hawkesll",
    "_contrib_index_array", "_contrib_index_copy", "_contrib_interleaved_matmul_encdec_qk",
    "_contrib_interleaved_matmul_encdec_valatt", "_contrib_interleaved_matmul_selfatt_qk",
    "_contrib_interleaved_matmul_selfatt_valatt", "_contrib_quadratic", "_contrib_quantize",
    "_contrib_quantize_asym", "_contrib_quantize_v2", "_contrib_quantized_act",
    "_contrib_quantized_batch_norm", "_contrib_quantized_concat", "_contrib_quantized_conv",
    "_contrib_quantized_elemwise_add", "_contrib_quantized_elemwise_mul",
    "_contrib_quantized_embedding", "_contrib_quantized_flatten",
    "_contrib_quantized_fully_connected", "_contrib_quantized_pooling", "_contrib_quantized_rnn",
    "_contrib_requantize", "_equal", "_greater", "_greater_equal", "_histogram", "_hypot",
    "_identity_with_attr_like_rhs", "_image_normalize", "_image_to_tensor", "_lesser",
    "_lesser_equal", "_linalg_det", "_linalg_extractdiag", "_linalg_extracttrian",
    "_linalg_gelqf", "_linalg_gemm", "_linalg_gemm2", "_linalg_inverse", "_linalg_makediag",
    "_linalg_maketrian", "_linalg_potrf", "_linalg_potri", "_linalg_slogdet",
    "_linalg_sumlogdiag", "_linalg_syevd", "_linalg_syrk", "_linalg_trmm", "_linalg_trsm",
    "_logical_and", "_logical_or", "_logical_xor", "_maximum", "_minimum", "_mod",
    "_multi_adamw_update", "_multi_lamb_update", "_multi_mp_adamw_update",
    "_multi_mp_lamb_update", "_not_equal", "_power", "_ravel_multi_index", "_slice_assign",
    "_sparse_retain", "_split_v2", "_unravel_index", "add_n", "all_finite", "amp_multicast",
    "batch_dot", "batch_take", "broadcast_add", "broadcast_div", "broadcast_equal",
    "broadcast_greater", "broadcast_greater_equal", "broadcast_hypot", "broadcast_lesser",
    "broadcast_lesser_equal", "broadcast_like", "broadcast_logical_and", "broadcast_logical_or",
    "broadcast_logical_xor", "broadcast_maximum", "broadcast_minimum", "broadcast_mod",
    "broadcast_mul", "broadcast_not_equal", "broadcast_power", "broadcast_sub", "col2im",
    "depth_to_space", "diag", "dot", "elemwise_add", "elemwise_div", "elemwise_mul",
    "elemwise_sub", "gather_nd", "im2col", "khatri_rao", "log_softmax", "moments",
    "multi_all_finite", "multi_lars", "multi_mp_sgd_mom_update", "multi_mp_sgd_update",
    "multi_sgd_mom_update", "multi_sgd_update", "multi_sum_sq", "one_hot", "pick",
    "preloaded_multi_mp_sgd_mom_update", "preloaded_multi_mp_sgd_update",
    "preloaded_multi_sgd_mom_update", "preloaded_multi_sgd_update", "repeat", "reset_arrays",
    "reshape_like", "reverse", "scatter_nd", "slice_like", "softmax", "softmax_cross_entropy",
    "space_to_depth", "squeeze", "stack", "take", "tile", "where"))
_NAMED_INPUT_PREFIXES = ("_sample_", "_random_pdf_")


def monitor_input_names(spec, attrs, n_given):
    """The names an executor's monitor gives a node's inputs (after ``nodename_``)."""
    if spec.name in _NAMED_INPUTS or spec.name.startswith(_NAMED_INPUT_PREFIXES):
        if spec.variadic:
            return [f"arg{i}" for i in range(n_given)]
        names = input_names(spec, attrs, n_given)
        if len(names) == n_given:
            return names
    return [f"input{i}" for i in range(n_given)]
