"""A character-level LSTM language model with gluon.rnn (D2L 8.6 / word_language_model
style): Embedding, 2-layer rnn.LSTM, Dense, consecutive sampling with detached state,
clip_global_norm, hybridized."""

import math

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import nn, rnn
from synthetic import read_text

mx.random.seed(0)
np.random.seed(0)

corpus_chars = read_text()
idx_to_char = sorted(set(corpus_chars))
char_to_idx = {char: i for i, char in enumerate(idx_to_char)}
vocab_size = len(char_to_idx)
corpus_indices = [char_to_idx[char] for char in corpus_chars]


def data_iter_consecutive(corpus_indices, batch_size, num_steps):
    corpus_indices = nd.array(corpus_indices)
    data_len = len(corpus_indices)
    batch_len = data_len // batch_size
    indices = corpus_indices[0: batch_size * batch_len].reshape((batch_size, batch_len))
    epoch_size = (batch_len - 1) // num_steps
    for i in range(epoch_size):
        i = i * num_steps
        X = indices[:, i: i + num_steps]
        Y = indices[:, i + 1: i + num_steps + 1]
        yield X, Y


class RNNModel(nn.HybridBlock):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, **kwargs):
        super(RNNModel, self).__init__(**kwargs)
        with self.name_scope():
            self.embedding = nn.Embedding(vocab_size, embed_size)
            self.rnn = rnn.LSTM(num_hiddens, num_layers, layout='TNC', dropout=0.2)
            self.dense = nn.Dense(vocab_size, flatten=False)

    def hybrid_forward(self, F, inputs, *state):
        X = self.embedding(F.transpose(inputs))
        Y, state = self.rnn(X, list(state))
        return self.dense(Y), state

    def begin_state(self, *args, **kwargs):
        return self.rnn.begin_state(*args, **kwargs)


num_hiddens, num_layers, embed_size = 128, 2, 32
model = RNNModel(vocab_size, embed_size, num_hiddens, num_layers)
model.initialize(init.Xavier())
model.hybridize()

loss = gluon.loss.SoftmaxCrossEntropyLoss()
trainer = gluon.Trainer(model.collect_params(), 'sgd', {'learning_rate': 1.0})
num_epochs, num_steps, batch_size, clipping_theta = 30, 35, 16, 0.5


def predict(prefix, num_chars):
    state = model.begin_state(batch_size=1, func=nd.zeros)
    output = [char_to_idx[prefix[0]]]
    for t in range(num_chars + len(prefix) - 1):
        X = nd.array([output[-1]]).reshape((1, 1))
        (Y, state) = model(X, *state)
        if t < len(prefix) - 1:
            output.append(char_to_idx[prefix[t + 1]])
        else:
            output.append(int(Y.argmax(axis=2).asscalar()))
    return ''.join([idx_to_char[i] for i in output])


for epoch in range(num_epochs):
    l_sum, n = 0.0, 0
    state = model.begin_state(batch_size=batch_size, func=nd.zeros)
    for X, Y in data_iter_consecutive(corpus_indices, batch_size, num_steps):
        state = [s.detach() for s in state]
        with autograd.record():
            (output, state) = model(X, *state)
            y = Y.T.reshape((-1,))
            l = loss(output.reshape((-1, vocab_size)), y).mean()
        l.backward()
        params = [p.data() for p in model.collect_params().values()]
        gluon.utils.clip_global_norm([p.grad for p in params], clipping_theta * num_steps)
        trainer.step(1)
        l_sum += l.asscalar() * y.size
        n += y.size
    if (epoch + 1) % 10 == 0:
        print('epoch %d, perplexity %f' % (epoch + 1, math.exp(l_sum / n)))
print(' -', predict('the keeper', 30))
print('RESULT perplexity=%.3f' % math.exp(l_sum / n))
