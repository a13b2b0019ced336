w = 0.5
ws = [w, w * 2]
L = ws[2] * w
