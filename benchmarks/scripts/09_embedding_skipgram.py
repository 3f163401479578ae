"""Word embeddings by skip-gram with negative sampling (D2L 14.4 style): two nn.Embedding
tables with sparse gradients, batch_dot, SigmoidBinaryCrossEntropyLoss, Adam."""

import collections

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn
from synthetic import read_text

mx.random.seed(0)
rng = np.random.RandomState(0)

words = read_text().split()
counter = collections.Counter(words)
idx_to_token = [tk for tk, _ in counter.most_common()]
token_to_idx = {tk: i for i, tk in enumerate(idx_to_token)}
corpus = [token_to_idx[tk] for tk in words]
vocab_size = len(idx_to_token)

window, num_negatives = 2, 5
centers, contexts = [], []
for i, center in enumerate(corpus):
    for j in range(max(0, i - window), min(len(corpus), i + window + 1)):
        if j != i:
            centers.append(center)
            contexts.append(corpus[j])
sampling_weights = np.array([counter[tk] ** 0.75 for tk in idx_to_token])
sampling_weights /= sampling_weights.sum()
negatives = rng.choice(vocab_size, size=(len(centers), num_negatives), p=sampling_weights)
contexts_negatives = np.concatenate([np.array(contexts)[:, None], negatives], axis=1)
labels = np.zeros(contexts_negatives.shape, np.float32)
labels[:, 0] = 1

dataset = gluon.data.ArrayDataset(np.array(centers, np.float32)[:, None],
                                  contexts_negatives.astype(np.float32), labels)
data_iter = gluon.data.DataLoader(dataset, batch_size=256, shuffle=True)

embed_size = 64
net = nn.Sequential()
net.add(nn.Embedding(input_dim=vocab_size, output_dim=embed_size, sparse_grad=True),
        nn.Embedding(input_dim=vocab_size, output_dim=embed_size, sparse_grad=True))
net.initialize()
trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.005})
loss = gluon.loss.SigmoidBinaryCrossEntropyLoss()


def skip_gram(center, contexts_and_negatives, embed_v, embed_u):
    v = embed_v(center)
    u = embed_u(contexts_and_negatives)
    return nd.batch_dot(v, u.swapaxes(1, 2))


for epoch in range(8):
    l_sum, n = 0.0, 0
    for center, context_negative, label in data_iter:
        with autograd.record():
            pred = skip_gram(center, context_negative, net[0], net[1])
            l = loss(pred.reshape(label.shape), label)
        l.backward()
        trainer.step(center.shape[0])
        l_sum += l.sum().asscalar()
        n += l.size
    print('epoch %d, loss %.4f' % (epoch + 1, l_sum / n))


def nearest(query_token, k):
    W = net[0].weight.data()
    x = W[token_to_idx[query_token]]
    cos = nd.dot(W, x) / (nd.sum(W * W, axis=1) * nd.sum(x * x) + 1e-9).sqrt()
    topk = nd.topk(cos, k=k + 1, ret_typ='indices').asnumpy().astype('int32')
    return [idx_to_token[i] for i in topk[1:]]


print('nearest to "light":', nearest('light', 3))
print('RESULT loss=%.4f' % (l_sum / n))
