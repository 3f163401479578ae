"""A character-level LSTM language model (the ``gluon.rnn`` demo).

Trains an Embedding -> 2-layer LSTM -> Dense model on the first 40 KB of Shakespeare's
*Coriolanus* (public domain; ``examples/data/coriolanus.txt``, as in the "tiny
shakespeare" corpus) with truncated backpropagation through time: the batch is 32
parallel streams of the text, each epoch walks them in windows of 32 characters and the
LSTM state is carried (detached) from one window to the next. Adam with gradient
clipping; the held-out last tenth of the text gives the validation perplexity after each
epoch, and a sampled passage is printed at the end.

    python examples/char_lm.py [--epochs 10]

This is plain MXNet 1.x code: with ``import mxnet as mx`` it runs on MXNet too.
"""

import argparse
import math
import os
import time

import numpy as np

import mxjax as mx
from mxjax import autograd, gluon
from mxjax.gluon import nn, rnn

TEXT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "coriolanus.txt")


class CharLM(gluon.HybridBlock):
    """Embedding -> LSTM -> Dense; ``(tokens (T, N), states) -> (logits (T, N, V), states)``."""

    def __init__(self, vocab_size, embed_size=64, hidden_size=128, num_layers=2, dropout=0.2,
                 **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.embedding = nn.Embedding(vocab_size, embed_size)
            self.lstm = rnn.LSTM(hidden_size, num_layers, dropout=dropout,
                                 input_size=embed_size)
            self.decoder = nn.Dense(vocab_size, flatten=False, in_units=hidden_size)

    def hybrid_forward(self, F, tokens, states):
        output, states = self.lstm(self.embedding(tokens), states)
        return self.decoder(output), states

    def begin_state(self, batch_size):
        return self.lstm.begin_state(batch_size)


def batchify(ids, batch_size):
    """(T, batch_size) array: ``batch_size`` contiguous streams of the text, side by side."""
    n = len(ids) // batch_size
    return mx.nd.array(ids[:n * batch_size].reshape(batch_size, n).T)


def windows(data, seq_len):
    """(input, target) pairs of ``seq_len`` steps; targets are the inputs shifted by one."""
    for i in range(0, data.shape[0] - 1 - seq_len + 1, seq_len):
        yield data[i:i + seq_len], data[i + 1:i + 1 + seq_len]


def token_loss(loss_fn, logits, y):
    """Cross-entropy of every (step, stream) token: shape (T * N,)."""
    return loss_fn(logits.reshape((-1, logits.shape[-1])), y.reshape((-1,)))


def evaluate(model, data, seq_len, loss_fn):
    states = model.begin_state(data.shape[1])
    total, count = 0.0, 0
    for x, y in windows(data, seq_len):
        logits, states = model(x, states)
        total += token_loss(loss_fn, logits, y).sum().asscalar()
        count += y.size
    return math.exp(total / count)


def sample(model, chars, index, prime, length, temperature, rng):
    """Feed ``prime`` one character at a time, then draw ``length`` more."""
    states = model.begin_state(1)
    out = list(prime)
    for ch in prime:
        logits, states = model(mx.nd.array([[index[ch]]]), states)
    for _ in range(length):
        scores = logits.reshape((-1,)).asnumpy().astype(np.float64) / temperature
        p = np.exp(scores - scores.max())
        token = rng.choice(len(chars), p=p / p.sum())
        out.append(chars[token])
        logits, states = model(mx.nd.array([[token]]), states)
    return "".join(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--clip", type=float, default=1.0)
    args = parser.parse_args()
    mx.random.seed(7)

    with open(TEXT, encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    ids = np.array([index[c] for c in text], dtype=np.float32)
    split = len(ids) * 9 // 10
    train, valid = batchify(ids[:split], args.batch_size), batchify(ids[split:], 4)
    print(f"{len(text)} characters, {len(chars)} distinct; {train.shape[0]} steps x "
          f"{args.batch_size} streams for training")

    model = CharLM(len(chars), hidden_size=args.hidden)
    model.initialize(mx.init.Xavier())
    model.hybridize()
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(model.collect_params(), "adam", {"learning_rate": args.lr})
    params = [p for p in model.collect_params().values() if p.grad_req != "null"]

    for epoch in range(args.epochs):
        start, total, count = time.time(), 0.0, 0
        states = model.begin_state(args.batch_size)
        for x, y in windows(train, args.seq_len):
            states = [s.detach() for s in states]  # truncated BPTT: no gradient into the past
            with autograd.record():
                logits, states = model(x, states)
                loss = token_loss(loss_fn, logits, y)
            loss.backward()
            gluon.utils.clip_global_norm([p.grad() for p in params],
                                         args.clip * y.size)  # the loss is summed over y
            trainer.step(y.size)
            total += loss.sum().asscalar()
            count += y.size
        ppl = evaluate(model, valid, args.seq_len, loss_fn)
        print(f"epoch {epoch + 1}: train perplexity {math.exp(total / count):6.2f}, "
              f"validation perplexity {ppl:6.2f}, {time.time() - start:5.1f} s")

    rng = np.random.RandomState(0)
    print("--- sample ---")
    print(sample(model, chars, index, "MENENIUS:\n", 300, 0.7, rng))


if __name__ == "__main__":
    main()
