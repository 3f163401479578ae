"""A character-level RNN language model from scratch (D2L 8.5 style): one-hot inputs,
random sampling, gradient clipping, manual SGD, perplexity and a sample every few epochs."""

import math
import random

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, nd
from synthetic import read_text

mx.random.seed(0)
random.seed(0)
np.random.seed(0)

corpus_chars = read_text()
idx_to_char = sorted(set(corpus_chars))
char_to_idx = {char: i for i, char in enumerate(idx_to_char)}
vocab_size = len(char_to_idx)
corpus_indices = [char_to_idx[char] for char in corpus_chars]


def data_iter_random(corpus_indices, batch_size, num_steps):
    num_examples = (len(corpus_indices) - 1) // num_steps
    epoch_size = num_examples // batch_size
    example_indices = list(range(num_examples))
    random.shuffle(example_indices)

    def _data(pos):
        return corpus_indices[pos: pos + num_steps]

    for i in range(epoch_size):
        i = i * batch_size
        batch_indices = example_indices[i: i + batch_size]
        X = [_data(j * num_steps) for j in batch_indices]
        Y = [_data(j * num_steps + 1) for j in batch_indices]
        yield nd.array(X), nd.array(Y)


def to_onehot(X, size):
    return [nd.one_hot(x, size) for x in X.T]


num_inputs, num_hiddens, num_outputs = vocab_size, 128, vocab_size


def get_params():
    def _one(shape):
        return nd.random.normal(scale=0.01, shape=shape)

    W_xh = _one((num_inputs, num_hiddens))
    W_hh = _one((num_hiddens, num_hiddens))
    b_h = nd.zeros(num_hiddens)
    W_hq = _one((num_hiddens, num_outputs))
    b_q = nd.zeros(num_outputs)
    params = [W_xh, W_hh, b_h, W_hq, b_q]
    for param in params:
        param.attach_grad()
    return params


def init_rnn_state(batch_size, num_hiddens):
    return (nd.zeros(shape=(batch_size, num_hiddens)), )


def rnn(inputs, state, params):
    W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    outputs = []
    for X in inputs:
        H = nd.tanh(nd.dot(X, W_xh) + nd.dot(H, W_hh) + b_h)
        Y = nd.dot(H, W_hq) + b_q
        outputs.append(Y)
    return outputs, (H,)


def predict_rnn(prefix, num_chars, params):
    state = init_rnn_state(1, num_hiddens)
    output = [char_to_idx[prefix[0]]]
    for t in range(num_chars + len(prefix) - 1):
        X = to_onehot(nd.array([output[-1]]), vocab_size)
        (Y, state) = rnn(X, state, params)
        if t < len(prefix) - 1:
            output.append(char_to_idx[prefix[t + 1]])
        else:
            output.append(int(Y[0].argmax(axis=1).asscalar()))
    return ''.join([idx_to_char[i] for i in output])


def grad_clipping(params, theta):
    norm = nd.array([0])
    for param in params:
        norm += (param.grad ** 2).sum()
    norm = norm.sqrt().asscalar()
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm


def sgd(params, lr, batch_size):
    for param in params:
        param[:] = param - lr * param.grad / batch_size


params = get_params()
loss = gluon.loss.SoftmaxCrossEntropyLoss()
num_epochs, num_steps, batch_size, lr, clipping_theta = 30, 35, 16, 100.0, 0.01
for epoch in range(num_epochs):
    l_sum, n = 0.0, 0
    for X, Y in data_iter_random(corpus_indices, batch_size, num_steps):
        state = init_rnn_state(batch_size, num_hiddens)
        with autograd.record():
            inputs = to_onehot(X, vocab_size)
            (outputs, state) = rnn(inputs, state, params)
            outputs = nd.concat(*outputs, dim=0)
            y = Y.T.reshape((-1,))
            l = loss(outputs, y).mean()
        l.backward()
        grad_clipping(params, clipping_theta)
        sgd(params, lr, 1)
        l_sum += l.asscalar() * y.size
        n += y.size
    if (epoch + 1) % 10 == 0:
        print('epoch %d, perplexity %f' % (epoch + 1, math.exp(l_sum / n)))
        print(' -', predict_rnn('the keeper', 30, params))

print('RESULT perplexity=%.3f' % math.exp(l_sum / n))
