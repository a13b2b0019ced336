for i in range(3):
    k = i * 2
