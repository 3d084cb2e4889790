"""CS231n assignment 1 style: linear classifiers returning `(loss, dW)` and the two-layer net of
neural_net.py, whose `loss(X, y=None, reg=0.0)` returns `scores` when y is None and `(loss, grads)`.

The functions return their own gradients, so they are differentiated with
`has_aux=True` and their gradient is the oracle (checked by finite
differences too). The habits kept: `dW = np.zeros(W.shape)` filled with
`dW[:, j] += X[i]` in naive loops, `binary = margins` then in-place writes
into it after the loss is taken, `probs[range(N), y]`, `dscores = probs` and
`dscores[range(N), y] -= 1`, `dhidden[hidden_layer <= 0] = 0`.
"""

import numpy as np

from .harness import Case

CASES = []


def _case(**kwargs):
    CASES.append(Case(**kwargs))


# ------------------------------------------------------------------ linear_svm.py


def svm_loss_naive(W, X, y, reg):
    dW = np.zeros(W.shape)  # initialize the gradient as zero

    num_classes = W.shape[1]
    num_train = X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1  # note delta = 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]

    loss /= num_train
    dW /= num_train

    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return loss, dW


def svm_loss_vectorized(W, X, y, reg):
    loss = 0.0
    dW = np.zeros(W.shape)
    num_train = X.shape[0]

    scores = X.dot(W)
    correct_class_scores = scores[np.arange(num_train), y].reshape(-1, 1)
    margins = np.maximum(0, scores - correct_class_scores + 1)
    margins[np.arange(num_train), y] = 0
    loss = np.sum(margins) / num_train + reg * np.sum(W * W)

    binary = margins
    binary[margins > 0] = 1
    row_sum = np.sum(binary, axis=1)
    binary[np.arange(num_train), y] = -row_sum
    dW = X.T.dot(binary) / num_train + 2 * reg * W
    return loss, dW


def _svm_args(r, N=5, D=3, C=4):
    """Scores whose margins stay at least 0.05 from the hinge (finite differences never cross it)."""
    while True:
        W = r.standard_normal((D, C))
        X = r.standard_normal((N, D))
        y = r.integers(0, C, size=N)
        s = X @ W
        m = s - s[np.arange(N), y][:, None] + 1.0
        m[np.arange(N), y] = 1.0
        if np.min(np.abs(m)) > 0.05:
            return W, X, y, 0.1


_case(name="course_a1_svm_loss_naive_loss_and_dW", fn=svm_loss_naive, has_aux=True, make_args=_svm_args,
      wrt=(0,), oracle=lambda W, X, y, reg: (svm_loss_naive(W, X, y, reg)[1],))
_case(name="course_a1_svm_loss_vectorized_binary_alias", fn=svm_loss_vectorized, has_aux=True,
      make_args=_svm_args, wrt=(0,), oracle=lambda W, X, y, reg: (svm_loss_vectorized(W, X, y, reg)[1],))


# ------------------------------------------------------------------ softmax.py


def softmax_loss_naive(W, X, y, reg):
    loss = 0.0
    dW = np.zeros_like(W)

    num_train = X.shape[0]
    num_classes = W.shape[1]
    for i in range(num_train):
        scores = X[i].dot(W)
        scores -= np.max(scores)  # numeric stability
        p = np.exp(scores) / np.sum(np.exp(scores))
        loss += -np.log(p[y[i]])
        for j in range(num_classes):
            dW[:, j] += (p[j] - (j == y[i])) * X[i]

    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return loss, dW


def softmax_loss_vectorized(W, X, y, reg):
    loss = 0.0
    dW = np.zeros_like(W)
    num_train = X.shape[0]

    scores = X.dot(W)
    scores -= scores.max(axis=1, keepdims=True)
    p = np.exp(scores)
    p /= p.sum(axis=1, keepdims=True)
    loss = np.sum(-np.log(p[np.arange(num_train), y])) / num_train + reg * np.sum(W * W)

    ind = np.zeros_like(p)
    ind[np.arange(num_train), y] = 1
    dW = X.T.dot(p - ind) / num_train + 2 * reg * W
    return loss, dW


def _softmax_args(r):
    return r.standard_normal((3, 4)), r.standard_normal((5, 3)), r.integers(0, 4, size=5), 0.05


_case(name="course_a1_softmax_loss_naive_loss_and_dW", fn=softmax_loss_naive, has_aux=True,
      make_args=_softmax_args, wrt=(0,), oracle=lambda W, X, y, reg: (softmax_loss_naive(W, X, y, reg)[1],))
_case(name="course_a1_softmax_loss_vectorized_loss_and_dW", fn=softmax_loss_vectorized, has_aux=True,
      make_args=_softmax_args, wrt=(0,), oracle=lambda W, X, y, reg: (softmax_loss_vectorized(W, X, y, reg)[1],))


# ------------------------------------------------------------------ neural_net.py


class TwoLayerNet(object):
    """input - fully connected layer - ReLU - fully connected layer - softmax."""

    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        self.params = {}
        self.params["W1"] = std * np.random.randn(input_size, hidden_size)
        self.params["b1"] = np.zeros(hidden_size)
        self.params["W2"] = std * np.random.randn(hidden_size, output_size)
        self.params["b2"] = np.zeros(output_size)

    def loss(self, X, y=None, reg=0.0):
        # Unpack variables from the params dictionary
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        N, D = X.shape

        # Compute the forward pass
        scores = None
        hidden_layer = np.maximum(0, X.dot(W1) + b1)
        scores = hidden_layer.dot(W2) + b2

        # If the targets are not given then jump out, we're done
        if y is None:
            return scores

        # Compute the loss
        loss = None
        exp_scores = np.exp(scores - np.max(scores, axis=1, keepdims=True))
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        correct_logprobs = -np.log(probs[range(N), y])
        data_loss = np.sum(correct_logprobs) / N
        reg_loss = reg * np.sum(W1 * W1) + reg * np.sum(W2 * W2)
        loss = data_loss + reg_loss

        # Backward pass: compute gradients
        grads = {}
        dscores = probs
        dscores[range(N), y] -= 1
        dscores /= N
        grads["W2"] = np.dot(hidden_layer.T, dscores)
        grads["b2"] = np.sum(dscores, axis=0)
        dhidden = np.dot(dscores, W2.T)
        dhidden[hidden_layer <= 0] = 0
        grads["W1"] = np.dot(X.T, dhidden)
        grads["b1"] = np.sum(dhidden, axis=0)

        grads["W2"] += 2 * reg * W2
        grads["W1"] += 2 * reg * W1
        return loss, grads


def _relu_net_args(r, N=5, D=4, H=6, C=3):
    """A net whose hidden pre-activations stay at least 0.02 from zero (no kink crossed)."""
    while True:
        np.random.seed(int(r.integers(1 << 30)))
        net = TwoLayerNet(D, H, C, std=0.5)
        net.params["b1"] = 0.1 * r.standard_normal(H)
        X = r.standard_normal((N, D))
        if np.min(np.abs(X @ net.params["W1"] + net.params["b1"])) > 0.02:
            return net, X, r.integers(0, C, size=N), 0.05


_case(name="course_a1_two_layer_net_loss_method", fn=TwoLayerNet.loss, has_aux=True, make_args=_relu_net_args,
      wrt=("self.params",), oracle=lambda net, X, y, reg: (net.loss(X, y, reg=reg)[1],), step=1e-4,
      note="ts.grad(net.loss, wrt=('self.params',), has_aux=True)(X, y, reg); `if y is None: return scores`")
