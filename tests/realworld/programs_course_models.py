"""CS231n assignments 2 and 3 style models: classes keeping `self.params` and a `loss(X, y=None)` method
that returns `scores` when y is None and `(loss, grads)` otherwise, built from the layers of
programs_course.py and programs_course_rnn.py (as fc_net.py and rnn.py import layers.py and
rnn_layers.py).

Each model is differentiated as a user would, with respect to its params:
`ts.grad(model.loss, wrt=("self.params",), has_aux=True)(X, y)`; the grads the
model returns (its own backward pass) are the oracle. The habits kept:
`self.params['W%d' % (i + 1)]`, `self.bn_params = [{'mode': 'train'} for i in ...]`,
`if seed is not None: self.dropout_param['seed'] = seed`, a `caches` dict
filled by `out, caches['affine%d' % i] = ...`, `grads['W%d' % i] += self.reg * W`,
`mask = captions_out != self._null`, `if self.cell_type == 'rnn':`.
"""

import numpy as np

from .harness import Case
from .programs_course import (
    affine_backward, affine_forward, batchnorm_backward, batchnorm_forward, dropout_backward, dropout_forward,
    layernorm_backward, layernorm_forward, relu_backward, relu_forward, softmax_loss,
)
from .programs_course_rnn import (
    lstm_backward, lstm_forward, rnn_backward, rnn_forward, temporal_affine_backward, temporal_affine_forward,
    temporal_softmax_loss, word_embedding_backward, word_embedding_forward,
)

CASES = []


def _case(**kwargs):
    CASES.append(Case(**kwargs))


# ------------------------------------------------------------------ layer_utils.py


def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    cache = (fc_cache, relu_cache)
    return out, cache


def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db


def affine_relu_layer(x, w, b):
    """The sandwich layer's output (differentiated with vjp)."""
    out, cache = affine_relu_forward(x, w, b)
    return out


def _affine_relu_args(r, N=4, D=(2, 3), M=5):
    """Inputs whose affine outputs stay at least 0.02 from the ReLU's kink."""
    while True:
        x, w, b = r.standard_normal((N, *D)), r.standard_normal((D[0] * D[1], M)), r.standard_normal(M)
        if np.min(np.abs(x.reshape(N, -1) @ w + b)) > 0.02:
            return x, w, b


_case(name="course_affine_relu_layer_utils", fn=affine_relu_layer, make_args=_affine_relu_args, wrt=(0, 1, 2),
      scalar=False, step=1e-4,
      oracle=lambda x, w, b, dout: affine_relu_backward(dout, affine_relu_forward(x, w, b)[1]))


# ------------------------------------------------------------------ fc_net.py


class TwoLayerNet(object):
    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.params = {}
        self.reg = reg
        self.params["W1"] = weight_scale * np.random.randn(input_dim, hidden_dim)
        self.params["b1"] = np.zeros(hidden_dim)
        self.params["W2"] = weight_scale * np.random.randn(hidden_dim, num_classes)
        self.params["b2"] = np.zeros(num_classes)

    def loss(self, X, y=None):
        scores = None
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        hidden, cache_hidden = affine_relu_forward(X, W1, b1)
        scores, cache_scores = affine_forward(hidden, W2, b2)

        # If y is None then we are in test mode so just return scores
        if y is None:
            return scores

        loss, grads = 0, {}
        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))

        dhidden, grads["W2"], grads["b2"] = affine_backward(dscores, cache_scores)
        dX, grads["W1"], grads["b1"] = affine_relu_backward(dhidden, cache_hidden)
        grads["W2"] += self.reg * W2
        grads["W1"] += self.reg * W1
        return loss, grads


def _two_layer_args(r, N=4, D=5, H=6, C=3):
    while True:
        np.random.seed(int(r.integers(1 << 30)))
        model = TwoLayerNet(input_dim=D, hidden_dim=H, num_classes=C, weight_scale=0.5, reg=0.1)
        model.params["b1"] = 0.1 * r.standard_normal(H)
        X = r.standard_normal((N, D))
        if np.min(np.abs(X @ model.params["W1"] + model.params["b1"])) > 0.02:
            return model, X, r.integers(0, C, size=N)


_case(name="course_fc_two_layer_net_loss_method", fn=TwoLayerNet.loss, has_aux=True, make_args=_two_layer_args,
      wrt=("self.params",), oracle=lambda model, X, y: (model.loss(X, y)[1],), step=1e-4)


class FullyConnectedNet(object):
    """{affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine - softmax"""

    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout_keep_ratio=1,
                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float32, seed=None):
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}

        dims = [input_dim] + hidden_dims + [num_classes]
        for i in range(self.num_layers):
            self.params["W%d" % (i + 1)] = weight_scale * np.random.randn(dims[i], dims[i + 1])
            self.params["b%d" % (i + 1)] = np.zeros(dims[i + 1])
            if self.normalization is not None and i < self.num_layers - 1:
                self.params["gamma%d" % (i + 1)] = np.ones(dims[i + 1])
                self.params["beta%d" % (i + 1)] = np.zeros(dims[i + 1])

        # When using dropout we need to pass a dropout_param dictionary to each dropout layer so that the
        # layer knows the dropout probability and the mode (train / test).
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
            if seed is not None:
                self.dropout_param["seed"] = seed

        self.bn_params = []
        if self.normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for i in range(self.num_layers - 1)]
        if self.normalization == "layernorm":
            self.bn_params = [{} for i in range(self.num_layers - 1)]

        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"

        # Set train/test mode for batchnorm params and dropout param since they behave differently
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        if self.normalization == "batchnorm":
            for bn_param in self.bn_params:
                bn_param["mode"] = mode
        scores = None

        caches = {}
        out = X
        for i in range(1, self.num_layers):
            out, caches["affine%d" % i] = affine_forward(out, self.params["W%d" % i], self.params["b%d" % i])
            if self.normalization == "batchnorm":
                out, caches["norm%d" % i] = batchnorm_forward(
                    out, self.params["gamma%d" % i], self.params["beta%d" % i], self.bn_params[i - 1])
            elif self.normalization == "layernorm":
                out, caches["norm%d" % i] = layernorm_forward(
                    out, self.params["gamma%d" % i], self.params["beta%d" % i], self.bn_params[i - 1])
            out, caches["relu%d" % i] = relu_forward(out)
            if self.use_dropout:
                out, caches["dropout%d" % i] = dropout_forward(out, self.dropout_param)
        L = self.num_layers
        scores, caches["affine%d" % L] = affine_forward(out, self.params["W%d" % L], self.params["b%d" % L])

        # If test mode return early
        if mode == "test":
            return scores

        loss, grads = 0.0, {}
        loss, dout = softmax_loss(scores, y)
        for i in range(1, L + 1):
            W = self.params["W%d" % i]
            loss += 0.5 * self.reg * np.sum(W * W)

        dout, grads["W%d" % L], grads["b%d" % L] = affine_backward(dout, caches["affine%d" % L])
        grads["W%d" % L] += self.reg * self.params["W%d" % L]
        for i in range(L - 1, 0, -1):
            if self.use_dropout:
                dout = dropout_backward(dout, caches["dropout%d" % i])
            dout = relu_backward(dout, caches["relu%d" % i])
            if self.normalization == "batchnorm":
                dout, grads["gamma%d" % i], grads["beta%d" % i] = batchnorm_backward(dout, caches["norm%d" % i])
            elif self.normalization == "layernorm":
                dout, grads["gamma%d" % i], grads["beta%d" % i] = layernorm_backward(dout, caches["norm%d" % i])
            dout, grads["W%d" % i], grads["b%d" % i] = affine_backward(dout, caches["affine%d" % i])
            grads["W%d" % i] += self.reg * self.params["W%d" % i]
        return loss, grads


def _pre_activations_clear(model, X):
    """Every ReLU input at least 0.02 from zero: the forward pass of `loss`, replayed."""
    out = X
    for i in range(1, model.num_layers):
        out = out @ model.params["W%d" % i] + model.params["b%d" % i]
        if model.normalization == "batchnorm":
            out = (out - out.mean(axis=0)) / np.sqrt(out.var(axis=0) + 1e-5)
            out = model.params["gamma%d" % i] * out + model.params["beta%d" % i]
        if np.min(np.abs(out)) < 0.02:
            return False
        out = np.maximum(0, out)
        if model.use_dropout:
            np.random.seed(model.dropout_param["seed"])
            out = out * (np.random.rand(*out.shape) < model.dropout_param["p"]) / model.dropout_param["p"]
    return True


def _fc_args(r, normalization=None, keep=1, N=5, D=4, C=3):
    while True:
        np.random.seed(int(r.integers(1 << 30)))
        model = FullyConnectedNet([6, 5], input_dim=D, num_classes=C, dropout_keep_ratio=keep,
                                  normalization=normalization, reg=0.05, weight_scale=0.6, dtype=np.float64, seed=3)
        for i in range(1, model.num_layers + 1):
            model.params["b%d" % i] = 0.1 * r.standard_normal(model.params["b%d" % i].shape)
        if normalization is not None:
            for i in range(1, model.num_layers):
                model.params["gamma%d" % i] = 1 + 0.2 * r.standard_normal(model.params["gamma%d" % i].shape)
                model.params["beta%d" % i] = 0.2 * r.standard_normal(model.params["beta%d" % i].shape)
        X = r.standard_normal((N, D))
        if _pre_activations_clear(model, X):
            return model, X, r.integers(0, C, size=N)


_case(name="course_fc_net_three_layers_loss_method", fn=FullyConnectedNet.loss, has_aux=True,
      make_args=_fc_args, wrt=("self.params",), oracle=lambda model, X, y: (model.loss(X, y)[1],), step=1e-4)
_case(name="course_fc_net_batchnorm_dropout_loss_method", fn=FullyConnectedNet.loss, has_aux=True,
      make_args=lambda r: _fc_args(r, normalization="batchnorm", keep=0.75), wrt=("self.params",),
      oracle=lambda model, X, y: (model.loss(X, y)[1],), step=1e-4,
      note="self.bn_params get their running averages from loss, in the derivatives as in the program")


# ------------------------------------------------------------------ classifiers/rnn.py


class CaptioningRNN(object):
    def __init__(self, word_to_idx, input_dim=512, wordvec_dim=128, hidden_dim=128, cell_type="rnn",
                 dtype=np.float32):
        if cell_type not in {"rnn", "lstm"}:
            raise ValueError('Invalid cell_type "%s"' % cell_type)

        self.cell_type = cell_type
        self.dtype = dtype
        self.word_to_idx = word_to_idx
        self.idx_to_word = {i: w for w, i in word_to_idx.items()}
        self.params = {}

        vocab_size = len(word_to_idx)

        self._null = word_to_idx["<NULL>"]
        self._start = word_to_idx.get("<START>", None)
        self._end = word_to_idx.get("<END>", None)

        self.params["W_embed"] = np.random.randn(vocab_size, wordvec_dim) / 100
        self.params["W_proj"] = np.random.randn(input_dim, hidden_dim) / np.sqrt(input_dim)
        self.params["b_proj"] = np.zeros(hidden_dim)

        dim_mul = {"lstm": 4, "rnn": 1}[cell_type]
        self.params["Wx"] = np.random.randn(wordvec_dim, dim_mul * hidden_dim) / np.sqrt(wordvec_dim)
        self.params["Wh"] = np.random.randn(hidden_dim, dim_mul * hidden_dim) / np.sqrt(hidden_dim)
        self.params["b"] = np.zeros(dim_mul * hidden_dim)

        self.params["W_vocab"] = np.random.randn(hidden_dim, vocab_size) / np.sqrt(hidden_dim)
        self.params["b_vocab"] = np.zeros(vocab_size)

        for k, v in self.params.items():
            self.params[k] = v.astype(self.dtype)

    def loss(self, features, captions):
        # The first element of captions_in is the START token, the first element of captions_out the
        # first word.
        captions_in = captions[:, :-1]
        captions_out = captions[:, 1:]

        mask = captions_out != self._null

        W_proj, b_proj = self.params["W_proj"], self.params["b_proj"]
        W_embed = self.params["W_embed"]
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        W_vocab, b_vocab = self.params["W_vocab"], self.params["b_vocab"]

        loss, grads = 0.0, {}
        h0, cache_proj = affine_forward(features, W_proj, b_proj)
        x, cache_embed = word_embedding_forward(captions_in, W_embed)
        if self.cell_type == "rnn":
            h, cache_rnn = rnn_forward(x, h0, Wx, Wh, b)
        else:
            h, cache_rnn = lstm_forward(x, h0, Wx, Wh, b)
        scores, cache_scores = temporal_affine_forward(h, W_vocab, b_vocab)
        loss, dscores = temporal_softmax_loss(scores, captions_out, mask)

        dh, grads["W_vocab"], grads["b_vocab"] = temporal_affine_backward(dscores, cache_scores)
        if self.cell_type == "rnn":
            dx, dh0, grads["Wx"], grads["Wh"], grads["b"] = rnn_backward(dh, cache_rnn)
        else:
            dx, dh0, grads["Wx"], grads["Wh"], grads["b"] = lstm_backward(dh, cache_rnn)
        grads["W_embed"] = word_embedding_backward(dx, cache_embed)
        dfeatures, grads["W_proj"], grads["b_proj"] = affine_backward(dh0, cache_proj)
        return loss, grads


def _captioning_args(r, cell_type, N=2, T=5, D=3, W=4, H=3):
    word_to_idx = {"<NULL>": 0, "<START>": 1, "<END>": 2, "cat": 3, "sat": 4, "on": 5, "mat": 6}
    np.random.seed(int(r.integers(1 << 30)))
    model = CaptioningRNN(word_to_idx, input_dim=D, wordvec_dim=W, hidden_dim=H, cell_type=cell_type,
                          dtype=np.float64)
    model.params["W_embed"] *= 50
    for name in ("b_proj", "b", "b_vocab"):
        model.params[name] = 0.1 * r.standard_normal(model.params[name].shape)
    captions = np.concatenate([np.ones((N, 1), dtype=int), r.integers(2, 7, size=(N, T))], axis=1)
    captions[0, -2:] = 0  # <NULL> padding after the first caption
    return model, r.standard_normal((N, D)), captions


_case(name="course_captioning_rnn_loss_method", fn=CaptioningRNN.loss, has_aux=True,
      make_args=lambda r: _captioning_args(r, "rnn"), wrt=("self.params",),
      oracle=lambda model, features, captions: (model.loss(features, captions)[1],))
_case(name="course_captioning_lstm_loss_method", fn=CaptioningRNN.loss, has_aux=True,
      make_args=lambda r: _captioning_args(r, "lstm"), wrt=("self.params",),
      oracle=lambda model, features, captions: (model.loss(features, captions)[1],))


# ------------------------------------------------------------------ optim.py


def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent; w is updated in place, as in the course's optim.py."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)

    w -= config["learning_rate"] * dw
    return w, config


def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))

    next_w = None
    v = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w + v
    config["velocity"] = v

    return next_w, config


def lookahead_loss(w, X, y, config):
    """The loss after one sgd step from w; sgd changes the caller's w and config as Solver._step lets it."""
    dw = X.T.dot(X.dot(w) - y) / X.shape[0]
    next_w, config = sgd(w, dw, config)
    return 0.5 * np.mean((X.dot(next_w) - y) ** 2)


def _lookahead_backward(w, X, y, config):
    n = X.shape[0]
    lr = config.get("learning_rate", 1e-2)
    A = X.T.dot(X) / n
    next_w = w - lr * (A.dot(w) - X.T.dot(y) / n)
    dnext_w = X.T.dot(X.dot(next_w) - y) / n
    return (dnext_w - lr * A.T.dot(dnext_w),)


def _regression_args(r, config, N=6, D=3):
    return r.standard_normal(D), r.standard_normal((N, D)), r.standard_normal(N), config


_case(name="course_optim_sgd_updates_w_in_place", fn=lookahead_loss,
      make_args=lambda r: _regression_args(r, {"learning_rate": 0.2}), wrt=(0,), oracle=_lookahead_backward,
      mutates=(0,), note="sgd's `w -= ...` changes the caller's w; the derivatives must not (the house rule)")


def momentum_steps_loss(w, X, y, config, num_steps=3):
    """The loss after a few sgd_momentum steps; config keeps the velocity between them."""
    for step in range(num_steps):
        dw = X.T.dot(X.dot(w) - y) / X.shape[0]
        w, config = sgd_momentum(w, dw, config)
    return 0.5 * np.mean((X.dot(w) - y) ** 2)


def _momentum_backward(w, X, y, config, num_steps=3):
    """Forward with the Jacobians of (w, v) carried along, then the loss gradient pulled back through them."""
    n = X.shape[0]
    lr, mu = config["learning_rate"], config.get("momentum", 0.9)
    A, c = X.T.dot(X) / n, X.T.dot(y) / n
    v = config.get("velocity", np.zeros_like(w))
    dw_dw0, dv_dw0 = np.eye(len(w)), np.zeros((len(w), len(w)))
    for step in range(num_steps):
        v = mu * v - lr * (A.dot(w) - c)
        dv_dw0 = mu * dv_dw0 - lr * A.dot(dw_dw0)
        w = w + v
        dw_dw0 = dw_dw0 + dv_dw0
    return (dw_dw0.T.dot(A.dot(w) - c),)


_case(name="course_optim_sgd_momentum_config_velocity", fn=momentum_steps_loss,
      make_args=lambda r: _regression_args(r, {"learning_rate": 0.1, "velocity": 0.1 * r.standard_normal(3)}),
      wrt=(0,), oracle=_momentum_backward, mutates=(3,),
      note="config.setdefault, config.get('velocity', ...), config['velocity'] = v seen by the caller")


def adam(w, dw, config=None):
    """Adam, its state initialised on the first call with `if ... not in config:` (a common variant of the
    course's setdefault)."""
    if config is None:
        config = {}
    if "learning_rate" not in config:
        config["learning_rate"] = 1e-3
    if "beta1" not in config:
        config["beta1"] = 0.9
    if "beta2" not in config:
        config["beta2"] = 0.999
    if "epsilon" not in config:
        config["epsilon"] = 1e-8
    if "m" not in config:
        config["m"] = np.zeros_like(w)
    if "v" not in config:
        config["v"] = np.zeros_like(w)
    if "t" not in config:
        config["t"] = 0

    next_w = None
    config["t"] += 1
    config["m"] = config["beta1"] * config["m"] + (1 - config["beta1"]) * dw
    mt = config["m"] / (1 - config["beta1"] ** config["t"])
    config["v"] = config["beta2"] * config["v"] + (1 - config["beta2"]) * (dw ** 2)
    vt = config["v"] / (1 - config["beta2"] ** config["t"])
    next_w = w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"])
    return next_w, config


def adam_steps_loss(w, X, y, config, num_steps=2):
    for step in range(num_steps):
        dw = X.T.dot(X.dot(w) - y) / X.shape[0]
        w, config = adam(w, dw, config)
    return 0.5 * np.mean((X.dot(w) - y) ** 2)


def _adam_backward(w, X, y, config, num_steps=2):
    """Forward with the Jacobians of (w, m, v) with respect to the first w, then the loss gradient."""
    n, D = X.shape
    lr, b1, b2, eps = config["learning_rate"], 0.9, 0.999, 1e-8
    A, c = X.T.dot(X) / n, X.T.dot(y) / n
    m, v = np.zeros(D), np.zeros(D)
    Jw, Jm, Jv = np.eye(D), np.zeros((D, D)), np.zeros((D, D))
    for t in range(1, num_steps + 1):
        g = A.dot(w) - c
        Jg = A.dot(Jw)
        m = b1 * m + (1 - b1) * g
        Jm = b1 * Jm + (1 - b1) * Jg
        v = b2 * v + (1 - b2) * g ** 2
        Jv = b2 * Jv + 2 * (1 - b2) * g[:, None] * Jg
        mt, vt = m / (1 - b1 ** t), v / (1 - b2 ** t)
        s = np.sqrt(vt)
        Js = (Jv / (1 - b2 ** t)) / (2 * s)[:, None]
        w = w - lr * mt / (s + eps)
        Jw = Jw - lr * ((Jm / (1 - b1 ** t)) / (s + eps)[:, None] - (mt / (s + eps) ** 2)[:, None] * Js)
    return (Jw.T.dot(A.dot(w) - c),)


_case(name="course_optim_adam_state_initialised_in_config", fn=adam_steps_loss,
      make_args=lambda r: _regression_args(r, {"learning_rate": 0.05}), wrt=(0,), oracle=_adam_backward,
      mutates=(3,), note="adam's m, v and t written into the caller's config after `if \"m\" not in config:`")
