xs = [1.0, -2.0]
ws = [leaf(f"w{i}", 0.5) for i in range(2)]
total = 0.0
for w, x in zip(ws, xs):
    total = total + w * x
L = total ** 2
