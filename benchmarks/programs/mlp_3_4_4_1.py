# A slide's network, 3-4-4-1 with tanh (41 leaves), looped as the bundled mlp example is.
# ruff: noqa: F821 (leaf and tanh are what pathgrad gives an expression file)
inputs = (1.0, -2.0, 0.5)  # a tuple stays plain numbers; a list would be a tensor leaf
target = 0.5
sizes = [3, 4, 4, 1]


def neuron(weights, bias, xs):
    total = bias
    for w, x in zip(weights, xs):
        total = total + w * x
    return total


layer = inputs
for k in range(1, len(sizes)):
    ws = [
        [leaf(f"w{k}_{j}{i}", 0.1 * (i + 1) - 0.2 * j + 0.05 * k) for i in range(sizes[k - 1])]
        for j in range(sizes[k])
    ]
    bs = [leaf(f"b{k}_{j}", 0.01 * j) for j in range(sizes[k])]
    sums = [neuron(ws[j], bs[j], layer) for j in range(sizes[k])]
    layer = [tanh(s) for s in sums] if k < len(sizes) - 1 else sums
L = (layer[0] - target) ** 2
