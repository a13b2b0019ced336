x = 1.0
for i in range(1000):
    for j in range(1000):
        x = x * 1.0001
