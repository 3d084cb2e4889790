"""CS224n word2vec (loss functions passed in, a dummy dataset object, Python's random), CS224n's
older neural net over one flat parameter vector, Karpathy's min-char-rnn lossFun with its backward pass
and gradient clipping inside, and deeplearning.ai's L-layer model with `parameters["W" + str(l)]`.

Every program returns its own gradients (or has a backward function beside
it): those are the oracles. Where a function returns more than the loss and
its gradient, the differentiated function is the two lines a user writes
around it (the course's own gradient checks call them the same way).
"""

import random

import numpy as np

from .harness import Case

CASES = []


def _case(**kwargs):
    CASES.append(Case(**kwargs))


# ------------------------------------------------------------------ utils.py, word2vec.py


def softmax(x):
    """Row-wise softmax of a matrix, or the softmax of a vector (in place, as the course's utils do)."""
    orig_shape = x.shape
    if len(x.shape) > 1:
        tmp = np.max(x, axis=1)
        x -= tmp.reshape((x.shape[0], 1))
        x = np.exp(x)
        tmp = np.sum(x, axis=1)
        x /= tmp.reshape((x.shape[0], 1))
    else:
        tmp = np.max(x)
        x -= tmp
        x = np.exp(x)
        tmp = np.sum(x)
        x /= tmp
    assert x.shape == orig_shape
    return x


def sigmoid(x):
    s = 1 / (1 + np.exp(-x))
    return s


def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    y_hat = softmax(outsideVectors.dot(centerWordVec))
    loss = -np.log(y_hat[outsideWordIdx])

    y = np.zeros_like(y_hat)
    y[outsideWordIdx] = 1
    gradCenterVec = outsideVectors.T.dot(y_hat - y)
    gradOutsideVecs = np.outer(y_hat - y, centerWordVec)
    return loss, gradCenterVec, gradOutsideVecs


def getNegativeSamples(outsideWordIdx, dataset, K):
    """ Samples K indexes which are not the outsideWordIdx """
    negSampleWordIndices = [None] * K
    for k in range(K):
        newidx = dataset.sampleTokenIdx()
        while newidx == outsideWordIdx:
            newidx = dataset.sampleTokenIdx()
        negSampleWordIndices[k] = newidx
    return negSampleWordIndices


def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    negSampleWordIndices = getNegativeSamples(outsideWordIdx, dataset, K)
    indices = [outsideWordIdx] + negSampleWordIndices

    gradCenterVec = np.zeros(centerWordVec.shape)
    gradOutsideVecs = np.zeros(outsideVectors.shape)

    u_o = outsideVectors[outsideWordIdx]
    z = sigmoid(np.dot(u_o, centerWordVec))
    loss = -np.log(z)
    gradCenterVec += (z - 1.0) * u_o
    gradOutsideVecs[outsideWordIdx] += (z - 1.0) * centerWordVec

    for i in range(K):
        k = indices[i + 1]
        u_k = outsideVectors[k]
        z_k = sigmoid(-np.dot(u_k, centerWordVec))
        loss -= np.log(z_k)
        gradCenterVec += (1.0 - z_k) * u_k
        gradOutsideVecs[k] += (1.0 - z_k) * centerWordVec
    return loss, gradCenterVec, gradOutsideVecs


def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind, centerWordVectors, outsideVectors, dataset,
             word2vecLossAndGradient=naiveSoftmaxLossAndGradient):
    loss = 0.0
    gradCenterVecs = np.zeros(centerWordVectors.shape)
    gradOutsideVectors = np.zeros(outsideVectors.shape)

    currentCenterWordIdx = word2Ind[currentCenterWord]
    centerWordVec = centerWordVectors[currentCenterWordIdx]
    for word in outsideWords:
        idx = word2Ind[word]
        wordLoss, gradCenter, gradOutside = word2vecLossAndGradient(centerWordVec, idx, outsideVectors, dataset)
        loss += wordLoss
        gradCenterVecs[currentCenterWordIdx] += gradCenter
        gradOutsideVectors += gradOutside
    return loss, gradCenterVecs, gradOutsideVectors


def word2vec_sgd_wrapper(word2vecModel, word2Ind, wordVectors, dataset, windowSize,
                         word2vecLossAndGradient=naiveSoftmaxLossAndGradient):
    batchsize = 10
    loss = 0.0
    grad = np.zeros(wordVectors.shape)
    N = wordVectors.shape[0]
    centerWordVectors = wordVectors[:int(N / 2), :]
    outsideVectors = wordVectors[int(N / 2):, :]
    for i in range(batchsize):
        windowSize1 = random.randint(1, windowSize)
        centerWord, context = dataset.getRandomContext(windowSize1)

        c, gin, gout = word2vecModel(centerWord, windowSize1, context, word2Ind, centerWordVectors,
                                     outsideVectors, dataset, word2vecLossAndGradient)
        loss += c / batchsize
        grad[:int(N / 2), :] += gin / batchsize
        grad[int(N / 2):, :] += gout / batchsize
    return loss, grad


def dummy_dataset():
    """The course's test dataset: an empty object given two functions as attributes."""
    dataset = type("dummy", (), {})()

    def dummySampleTokenIdx():
        return random.randint(0, 4)

    def getRandomContext(C):
        tokens = ["a", "b", "c", "d", "e"]
        return tokens[random.randint(0, 4)], [tokens[random.randint(0, 4)] for i in range(2 * C)]

    dataset.sampleTokenIdx = dummySampleTokenIdx
    dataset.getRandomContext = getRandomContext
    return dataset


def word2vec_objective(word2vecModel, word2Ind, wordVectors, dataset, windowSize, word2vecLossAndGradient):
    """What gradcheck_naive evaluates: the wrapper after the random state is restored."""
    random.seed(31415)
    np.random.seed(9265)
    return word2vec_sgd_wrapper(word2vecModel, word2Ind, wordVectors, dataset, windowSize, word2vecLossAndGradient)


def _word2vec_args(r, loss_function):
    vectors = r.standard_normal((10, 3))
    vectors /= np.sqrt(np.sum(vectors ** 2, axis=1, keepdims=True))
    tokens = dict([("a", 0), ("b", 1), ("c", 2), ("d", 3), ("e", 4)])
    return skipgram, tokens, vectors, dummy_dataset(), 3, loss_function


_case(name="course_word2vec_skipgram_naive_softmax_passed_in", fn=word2vec_objective, has_aux=True,
      make_args=lambda r: _word2vec_args(r, naiveSoftmaxLossAndGradient), wrt=("wordVectors",),
      oracle=lambda *args: (word2vec_objective(*args)[1],),
      note="skipgram and naiveSoftmaxLossAndGradient are arguments; dataset.getRandomContext draws the words")
_case(name="course_word2vec_skipgram_neg_sampling_passed_in", fn=word2vec_objective, has_aux=True,
      make_args=lambda r: _word2vec_args(r, negSamplingLossAndGradient), wrt=("wordVectors",),
      oracle=lambda *args: (word2vec_objective(*args)[1],),
      note="negSamplingLossAndGradient draws its samples through dataset.sampleTokenIdx()")


# ------------------------------------------------------------------ the older CS224n q2_neural.py


def sigmoid_grad(s):
    ds = s * (1 - s)
    return ds


def forward_backward_prop(X, labels, params, dimensions):
    """One hidden sigmoid layer, softmax output, cross-entropy cost; params is one flat vector."""
    ofs = 0
    Dx, H, Dy = (dimensions[0], dimensions[1], dimensions[2])

    W1 = np.reshape(params[ofs:ofs + Dx * H], (Dx, H))
    ofs += Dx * H
    b1 = np.reshape(params[ofs:ofs + H], (1, H))
    ofs += H
    W2 = np.reshape(params[ofs:ofs + H * Dy], (H, Dy))
    ofs += H * Dy
    b2 = np.reshape(params[ofs:ofs + Dy], (1, Dy))

    h = sigmoid(X.dot(W1) + b1)
    yhat = softmax(h.dot(W2) + b2)
    cost = -np.sum(labels * np.log(yhat))

    d3 = yhat - labels
    gradW2 = h.T.dot(d3)
    gradb2 = np.sum(d3, axis=0, keepdims=True)
    dh = d3.dot(W2.T) * sigmoid_grad(h)
    gradW1 = X.T.dot(dh)
    gradb1 = np.sum(dh, axis=0, keepdims=True)

    grad = np.concatenate((gradW1.flatten(), gradb1.flatten(), gradW2.flatten(), gradb2.flatten()))
    return cost, grad


def _neural_args(r, N=6, dimensions=(4, 5, 3)):
    labels = np.zeros((N, dimensions[2]))
    labels[np.arange(N), r.integers(0, dimensions[2], size=N)] = 1
    size = (dimensions[0] + 1) * dimensions[1] + (dimensions[1] + 1) * dimensions[2]
    return r.standard_normal((N, dimensions[0])), labels, r.standard_normal(size), list(dimensions)


_case(name="course_cs224n_forward_backward_prop_flat_params", fn=forward_backward_prop, has_aux=True,
      make_args=_neural_args, wrt=("params",),
      oracle=lambda X, labels, p, d: (forward_backward_prop(X, labels, p, d)[1],))


# ------------------------------------------------------------------ min-char-rnn.py


def lossFun(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
    """inputs,targets are both list of integers; hprev is Hx1 array of initial hidden state.
    returns the loss, gradients on model parameters, and last hidden state"""
    vocab_size = Why.shape[0]
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0
    # forward pass
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))  # encode in 1-of-k representation
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)  # hidden state
        ys[t] = np.dot(Why, hs[t]) + by  # unnormalized log probabilities for next chars
        ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))  # probabilities for next chars
        loss += -np.log(ps[t][targets[t], 0])  # softmax (cross-entropy loss)
    # backward pass: compute gradients going backwards
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1  # backprop into y
        dWhy += np.dot(dy, hs[t].T)
        dby += dy
        dh = np.dot(Why.T, dy) + dhnext  # backprop into h
        dhraw = (1 - hs[t] * hs[t]) * dh  # backprop through tanh nonlinearity
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(Whh.T, dhraw)
    for dparam in [dWxh, dWhh, dWhy, dbh, dby]:
        np.clip(dparam, -5, 5, out=dparam)  # clip to mitigate exploding gradients
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]


def char_rnn_loss(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
    """The training loop's call, keeping the loss: `loss, dWxh, ..., hprev = lossFun(...)`."""
    loss, dWxh, dWhh, dWhy, dbh, dby, hprev = lossFun(inputs, targets, hprev, Wxh, Whh, Why, bh, by)
    return loss


def _char_rnn_args(r, V=5, H=4, T=6):
    inputs = [int(i) for i in r.integers(0, V, size=T)]
    targets = inputs[1:] + [int(r.integers(0, V))]
    return (inputs, targets, r.standard_normal((H, 1)) * 0.5, r.standard_normal((H, V)) * 0.5,
            r.standard_normal((H, H)) * 0.5, r.standard_normal((V, H)) * 0.5, r.standard_normal((H, 1)) * 0.1,
            r.standard_normal((V, 1)) * 0.1)


_case(name="course_min_char_rnn_lossFun_with_backward", fn=char_rnn_loss, make_args=_char_rnn_args,
      wrt=(3, 4, 5, 6, 7), oracle=lambda *args: lossFun(*args)[1:6],
      note="lossFun's own backward pass and np.clip(dparam, -5, 5, out=dparam) run inside what is differentiated")


# ------------------------------------------------------------------ deeplearning.ai, dnn_utils / L-layer model


def dlai_sigmoid(Z):
    A = 1 / (1 + np.exp(-Z))
    cache = Z
    return A, cache


def dlai_relu(Z):
    A = np.maximum(0, Z)
    cache = Z
    return A, cache


def relu_backward(dA, cache):
    Z = cache
    dZ = np.array(dA, copy=True)  # just converting dz to a correct object.
    dZ[Z <= 0] = 0
    return dZ


def sigmoid_backward(dA, cache):
    Z = cache
    s = 1 / (1 + np.exp(-Z))
    dZ = dA * s * (1 - s)
    return dZ


def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    cache = (A, W, b)
    return Z, cache


def linear_activation_forward(A_prev, W, b, activation):
    if activation == "sigmoid":
        Z, linear_cache = linear_forward(A_prev, W, b)
        A, activation_cache = dlai_sigmoid(Z)
    elif activation == "relu":
        Z, linear_cache = linear_forward(A_prev, W, b)
        A, activation_cache = dlai_relu(Z)
    cache = (linear_cache, activation_cache)
    return A, cache


def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2  # number of layers in the neural network
    for l in range(1, L):  # noqa: E741 (the course's name for the layer index)
        A_prev = A
        A, cache = linear_activation_forward(A_prev, parameters["W" + str(l)], parameters["b" + str(l)],
                                             activation="relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)],
                                          activation="sigmoid")
    caches.append(cache)
    return AL, caches


def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = (-1 / m) * np.sum(np.multiply(Y, np.log(AL)) + np.multiply(1 - Y, np.log(1 - AL)))
    cost = np.squeeze(cost)  # e.g. this turns [[17]] into 17
    return cost


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = (1 / m) * np.dot(dZ, A_prev.T)
    db = (1 / m) * np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
    elif activation == "sigmoid":
        dZ = sigmoid_backward(dA, activation_cache)
    dA_prev, dW, db = linear_backward(dZ, linear_cache)
    return dA_prev, dW, db


def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)  # the number of layers
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    current_cache = caches[L - 1]
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(
        dAL, current_cache, activation="sigmoid")
    for l in reversed(range(L - 1)):  # noqa: E741 (the course's name for the layer index)
        current_cache = caches[l]
        dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(l + 1)], current_cache,
                                                                    activation="relu")
        grads["dA" + str(l)] = dA_prev_temp
        grads["dW" + str(l + 1)] = dW_temp
        grads["db" + str(l + 1)] = db_temp
    return grads


def L_layer_cost(X, Y, parameters):
    """The first two lines of L_layer_model's training loop."""
    AL, caches = L_model_forward(X, parameters)
    cost = compute_cost(AL, Y)
    return cost


def _L_layer_oracle(X, Y, parameters):
    AL, caches = L_model_forward(X, parameters)
    grads = L_model_backward(AL, Y, caches)
    return ({k: grads["d" + k] for k in parameters},)


def _L_layer_args(r, layers_dims=(4, 5, 3, 1), m=6):
    while True:
        parameters = {}
        for l in range(1, len(layers_dims)):  # noqa: E741 (the course's name for the layer index)
            parameters["W" + str(l)] = r.standard_normal((layers_dims[l], layers_dims[l - 1])) * 0.8
            parameters["b" + str(l)] = r.standard_normal((layers_dims[l], 1)) * 0.1
        X = r.standard_normal((layers_dims[0], m))
        A, clear = X, True
        for l in range(1, len(layers_dims) - 1):  # noqa: E741 (the course's name for the layer index)
            Z = parameters["W" + str(l)] @ A + parameters["b" + str(l)]
            clear = clear and np.min(np.abs(Z)) > 0.02
            A = np.maximum(0, Z)
        if clear:
            return X, (r.random((1, m)) > 0.5).astype(float), parameters


_case(name="course_dlai_L_layer_parameters_str_keys", fn=L_layer_cost, make_args=_L_layer_args, wrt=("parameters",),
      oracle=_L_layer_oracle, step=1e-4)
