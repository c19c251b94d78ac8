#!/usr/bin/env python3
"""Generates a random, valid scan program for differential testing.

The program is an MLIR module with a scalar cost function @cost built around
one or two `scan.scan` loops, and an entry @grad that returns the cost and
its gradient through `scan.grad` (or, for a vector-valued @cost, the results
and gradients of a `scan.vjp`). Everything is decided by one seed, so
`gen_scan_program.py --seed N` always prints the same text; `--dtype` picks
f64 or f32 and changes nothing else.

What varies from seed to seed:
  * trip count T in 1..5, batch B and widths in 2..6;
  * one or two scans (the second reads the first one's stacked outputs),
    each forward or reverse, with 1..3 carries, 0..2 input sequences
    (`length(T)` when there are none) and 0..2 per-step outputs;
  * carry updates built from sums of matmuls (weights transposed through
    `indexing_maps` or `linalg.transpose`, left operands transposed, matmuls
    chained through `outs`, invariant `outs` such as a broadcast bias) and
    elementwise chains (add, sub, mul, tanh, sigmoid as 1/(1+exp(-a)), exp of
    bounded values, log(1 + sigmoid), a / (1 + a^2)), finished by tanh,
    sigmoid or a gated blend; operands concatenated with tensor.concat and
    products sliced with tensor.extract_slice;
  * weights shared between matmuls, inside and outside the loops;
  * input projections `x_t . W` (hoistable) next to forms that are not;
  * matrix carries accumulating `a_t^T b_t` (hoistable), sometimes also read
    in the body (must stay in the loop), and carries passed through;
  * masked state updates `h_t = select(m_t, h_new, h)` with the mask
    `m_t = mask_t > 0` from a float sequence (arith.cmpf), ReLU activations
    `tanh(max(a, 0))`, and carry updates that run an inner
    scan (a scan nested in the body);
  * a cost mixing sums, sums of squares, row-wise logsumexp (a max
    reduction), matmuls after the loop and weight penalties; `wrt` all
    arguments or a random subset;
  * sometimes a vector-valued entry: @cost returns its cost terms as tensors
    and @grad takes one cotangent per result and returns `scan.vjp`'s
    results and gradients.
Values stay bounded: every carry goes through tanh, sigmoid or a blend of
bounded values, and exp only sees bounded arguments.

Python standard library only.
"""

import argparse
import random
import sys


class Value:
    """An SSA value of tensor type."""

    def __init__(self, name, shape, bounded=False):
        self.name = name
        self.shape = tuple(shape)
        # bounded: |value| <= 1 elementwise (tanh/sigmoid outputs and blends).
        self.bounded = bounded


class Generator:
    def __init__(self, seed, dtype):
        self.rng = random.Random(seed)
        self.seed = seed
        self.dt = dtype
        self.counter = 0
        self.args = []  # Values of the cost function's arguments
        self.prologue = []  # lines at the top of @cost
        self.lines = []  # where ops go now
        self.indent = "  "
        self.weights = []  # weight arguments
        self.cache = {}  # (kind, shape) -> Value for prologue constants
        self.features = []

    # -- small helpers -------------------------------------------------------
    def chance(self, p):
        return self.rng.random() < p

    def fresh(self, hint):
        self.counter += 1
        return "%" + hint + str(self.counter)

    def ty(self, shape):
        dims = "".join(str(d) + "x" for d in shape)
        return "tensor<" + dims + self.dt + ">"

    def emit(self, text):
        self.lines.append(self.indent + text)

    def emit_prologue(self, text):
        self.prologue.append("  " + text)

    def arg(self, hint, shape, weight=False):
        v = Value(self.fresh(hint), shape)
        self.args.append(v)
        if weight:
            self.weights.append(v)
        return v

    def note(self, feature):
        if feature not in self.features:
            self.features.append(feature)

    # -- constants -----------------------------------------------------------
    def scalar_zero(self):
        key = ("scalar0", ())
        if key not in self.cache:
            name = self.fresh("c")
            self.emit_prologue("%s = arith.constant 0.0 : %s" % (name, self.dt))
            self.cache[key] = Value(name, ())
        return self.cache[key]

    def zeros(self, shape):
        """A zero-filled tensor, in the prologue or right here."""
        if self.indent != "  " and self.chance(0.3):
            # A fill inside the loop body: loop-invariant code motion's job.
            c = self.scalar_zero()
            e = self.fresh("e")
            z = self.fresh("z")
            self.emit("%s = tensor.empty() : %s" % (e, self.ty(shape)))
            self.emit("%s = linalg.fill ins(%s : %s) outs(%s : %s) -> %s"
                      % (z, c.name, self.dt, e, self.ty(shape), self.ty(shape)))
            return Value(z, shape)
        key = ("zeros", shape)
        if key not in self.cache:
            if self.chance(0.25):
                name = self.fresh("z")
                self.emit_prologue("%s = arith.constant dense<0.0> : %s"
                                   % (name, self.ty(shape)))
            else:
                c = self.scalar_zero()
                e = self.fresh("e")
                name = self.fresh("z")
                self.emit_prologue("%s = tensor.empty() : %s" % (e, self.ty(shape)))
                self.emit_prologue(
                    "%s = linalg.fill ins(%s : %s) outs(%s : %s) -> %s"
                    % (name, c.name, self.dt, e, self.ty(shape), self.ty(shape)))
            self.cache[key] = Value(name, shape)
        return self.cache[key]

    def splat(self, value, shape):
        key = ("splat%s" % value, shape)
        if key not in self.cache:
            name = self.fresh("k")
            self.emit_prologue("%s = arith.constant dense<%s> : %s"
                               % (name, value, self.ty(shape)))
            self.cache[key] = Value(name, shape)
        return self.cache[key]

    # -- ops -----------------------------------------------------------------
    def binary(self, op, a, b, bounded=False):
        assert a.shape == b.shape, (a.shape, b.shape)
        r = self.fresh("v")
        self.emit("%s = arith.%s %s, %s : %s" % (r, op, a.name, b.name,
                                                 self.ty(a.shape)))
        return Value(r, a.shape, bounded)

    def unary(self, op, a, bounded=False):
        r = self.fresh("v")
        self.emit("%s = %s %s : %s" % (r, op, a.name, self.ty(a.shape)))
        return Value(r, a.shape, bounded)

    def tanh(self, a):
        return self.unary("math.tanh", a, bounded=True)

    def sigmoid(self, a):
        self.note("sigmoid")
        one = self.splat("1.0", a.shape)
        n = self.unary("arith.negf", a)
        e = self.unary("math.exp", n)
        d = self.binary("addf", one, e)
        return self.binary("divf", one, d, bounded=True)

    def transpose(self, a, in_prologue=False):
        shape = (a.shape[1], a.shape[0])
        e = self.fresh("e")
        r = self.fresh("t")
        put = self.emit_prologue if in_prologue else self.emit
        put("%s = tensor.empty() : %s" % (e, self.ty(shape)))
        put("%s = linalg.transpose ins(%s : %s) outs(%s : %s) permutation = [1, 0]"
            % (r, a.name, self.ty(a.shape), e, self.ty(shape)))
        return Value(r, shape, a.bounded)

    def matmul(self, a, b, c, ta=False, tb=False):
        """c + op(a) . op(b), op(X) = X^T when the flag is set."""
        m, k = (a.shape[1], a.shape[0]) if ta else a.shape
        k2, n = (b.shape[1], b.shape[0]) if tb else b.shape
        assert k == k2 and c.shape == (m, n), (a.shape, b.shape, c.shape, ta, tb)
        r = self.fresh("m")
        text = "%s = linalg.matmul " % r
        if ta or tb:
            lhs = "(d2, d0)" if ta else "(d0, d2)"
            rhs = "(d1, d2)" if tb else "(d2, d1)"
            text += ("indexing_maps = [affine_map<(d0, d1, d2) -> %s>, "
                     "affine_map<(d0, d1, d2) -> %s>, "
                     "affine_map<(d0, d1, d2) -> (d0, d1)>] " % (lhs, rhs))
        text += "ins(%s, %s : %s, %s) outs(%s : %s) -> %s" % (
            a.name, b.name, self.ty(a.shape), self.ty(b.shape), c.name,
            self.ty(c.shape), self.ty(c.shape))
        self.emit(text)
        return Value(r, (m, n))

    def weight(self, k, n):
        """A loop-invariant operand w with x . w = x . W for some weight W
        (k x n); returns (value, transposed-through-maps flag)."""
        same = [w for w in self.weights if w.shape == (k, n)]
        flipped = [w for w in self.weights if w.shape == (n, k) and k != n]
        if (same or flipped) and self.chance(0.6):
            pool = [(w, False) for w in same] + [(w, True) for w in flipped]
            w, stored_t = self.rng.choice(pool)
            self.note("shared weight")
        else:
            stored_t = self.chance(0.3)
            w = self.arg("W", (n, k) if stored_t else (k, n), weight=True)
        if not stored_t:
            return w, False
        # W is stored n x k: transpose through the maps or explicitly.
        how = self.rng.random()
        if how < 0.5:
            self.note("weight transposed via indexing_maps")
            return w, True
        self.note("weight transposed via linalg.transpose")
        return self.transpose(w, in_prologue=how < 0.8), False

    # -- the cost function ---------------------------------------------------
    def pick(self, pool, width=None, bounded_only=False):
        cands = [v for v in pool
                 if (width is None or v.shape[1] == width)
                 and (v.bounded or not bounded_only)]
        return self.rng.choice(cands) if cands else None

    def linear(self, pool, width, scan):
        """A sum of 1..3 terms of width `width`: matmuls of pool values with
        weights, and pool values themselves."""
        B = scan["B"]
        acc = None
        acc_is_matmul = False
        for i in range(self.rng.randint(1, 3)):
            same = self.pick(pool, width)
            if same is not None and i > 0 and self.chance(0.3):
                op = "subf" if self.chance(0.3) else "addf"
                acc = self.binary(op, acc, same)
                acc_is_matmul = False
                continue
            if same is not None and i == 0 and self.chance(0.15):
                acc = same
                continue
            a = self.pick(pool)
            if self.chance(0.1):
                a = self.concat(a, self.pick(pool))
            # A wider product of which only some columns are used.
            split = self.chance(0.1)
            n = width * self.rng.randint(2, 3) if split else width
            w, tb = self.weight(a.shape[1], n)
            ta = False
            if self.chance(0.12):
                a = self.transpose(a)
                ta = True
                self.note("lhs transposed")
            if split:
                out = self.zeros((B, n))
            elif acc is not None and acc_is_matmul and self.chance(0.4):
                out = acc
                self.note("matmuls chained through outs")
            elif acc is None and self.chance(0.15):
                out = self.bias(width, B)
                self.note("invariant outs")
            else:
                out = self.zeros((B, width))
            if a.name in scan["slices"] and not ta:
                self.note("input projection")
            m = self.matmul(a, w, out, ta=ta, tb=tb)
            if split:
                m = self.columns(m, width * self.rng.randint(0, n // width - 1), width)
                out = None
            if out is acc:
                acc = m
            elif acc is None:
                acc = m
            else:
                acc = self.binary("addf" if self.chance(0.8) else "subf", acc, m)
            acc_is_matmul = out is acc or acc is m
        return acc

    def concat(self, a, b):
        """[a b] along the columns."""
        self.note("concatenated operands")
        shape = (a.shape[0], a.shape[1] + b.shape[1])
        r = self.fresh("cat")
        self.emit("%s = tensor.concat dim(1) %s, %s : (%s, %s) -> %s"
                  % (r, a.name, b.name, self.ty(a.shape), self.ty(b.shape),
                     self.ty(shape)))
        return Value(r, shape, a.bounded and b.bounded)

    def columns(self, a, offset, width):
        """Columns [offset, offset + width) of a."""
        self.note("sliced product")
        shape = (a.shape[0], width)
        r = self.fresh("col")
        self.emit("%s = tensor.extract_slice %s[0, %d] [%d, %d] [1, 1] : %s to %s"
                  % (r, a.name, offset, shape[0], width, self.ty(a.shape),
                     self.ty(shape)))
        return Value(r, shape)

    def bias(self, width, B):
        b = self.arg("b", (width,), weight=False)
        e = self.fresh("e")
        r = self.fresh("bb")
        put = self.emit_prologue if self.chance(0.7) else self.emit
        put("%s = tensor.empty() : %s" % (e, self.ty((B, width))))
        put("%s = linalg.broadcast ins(%s : %s) outs(%s : %s) dimensions = [0]"
            % (r, b.name, self.ty((width,)), e, self.ty((B, width))))
        self.note("broadcast bias")
        return Value(r, (B, width))

    def activate(self, pre, h, pool, width, scan):
        """The next value of carry h from the pre-activation `pre`."""
        if self.chance(0.15):
            # ReLU, squashed to stay bounded: tanh(max(pre, 0)).
            self.note("ReLU")
            relu = self.binary("maximumf", pre, self.splat("0.0", pre.shape))
            return self.tanh(relu)
        r = self.rng.random()
        if r < 0.45:
            return self.tanh(pre)
        if r < 0.6:
            return self.sigmoid(pre)
        if r < 0.85:
            self.note("gated blend")
            g = self.sigmoid(self.linear(pool, width, scan))
            one = self.splat("1.0", g.shape)
            ng = self.binary("subf", one, g)
            keep = self.binary("mulf", g, h)
            new = self.binary("mulf", ng, self.tanh(pre))
            return self.binary("addf", keep, new, bounded=True)
        # tanh(pre) * exp(-|bounded|)-style damping: exp of a bounded value.
        self.note("exp of bounded value")
        t = self.tanh(pre)
        half = self.splat("0.5", t.shape)
        e = self.unary("math.exp", self.binary("mulf", t, half))
        p = self.binary("mulf", t, e)
        return self.binary("mulf", p, half, bounded=True)

    def make_scan(self, index, T, B, widths, first=None, depth=0):
        rng = self.rng
        reverse = self.chance(0.4)
        self.note("reverse scan" if reverse else "forward scan")
        scan = {"B": B, "slices": set()}
        # Carries.
        carries = []  # (block arg Value, init Value)
        for i in range(rng.randint(1, 3)):
            d = rng.choice(widths)
            init = None
            if first is not None and self.chance(0.4):
                cands = [v for v in first["finals"] if v.shape == (B, d)]
                if cands:
                    init = rng.choice(cands)
                    self.note("carry initialised from another scan")
            if init is None:
                init = self.arg("h", (B, d))
            carries.append((Value(self.fresh("h"), (B, d), True), init))
        # Sequences.
        seqs = []  # (block arg Value, stacked Value)
        if first is not None:
            for o in first["outputs"]:
                if not seqs or self.chance(0.5):
                    seqs.append((Value(self.fresh("s"), o.shape[1:], True), o))
        for i in range(rng.randint(0, 2)):
            e = rng.randint(2, 6)
            x = self.arg("x", (T, B, e))
            seqs.append((Value(self.fresh("xt"), (B, e), True), x))
        for s, _ in seqs:
            scan["slices"].add(s.name)
        # Masked carries: the mask of step t is mask_t > 0, from an input.
        masks = {}
        for c, _ in carries:
            if self.chance(0.2):
                mk = self.arg("mk", (T,) + c.shape)
                slice_ = Value(self.fresh("mkt"), c.shape)
                seqs.append((slice_, mk))
                masks[c.name] = slice_
        # A matrix carry: M' = M + a_t^T b_t.
        mat = None
        if self.chance(0.3):
            k, n = rng.choice(widths), rng.choice(widths)
            m0 = self.arg("M", (k, n))
            mat = (Value(self.fresh("acc"), (k, n)), m0)
        passthrough = None
        if self.chance(0.1):
            d = rng.choice(widths)
            passthrough = (Value(self.fresh("p"), (B, d), True),
                           self.arg("p", (B, d)))
            self.note("pass-through carry")
        captured = None
        if self.chance(0.3):
            captured = self.arg("k", (B, rng.choice(widths)))
            self.note("captured tensor")

        header_lines = self.lines
        body = []
        self.lines = body
        outer_indent = self.indent
        self.indent = outer_indent + "  "

        pool = [c for c, _ in carries] + [s for s, _ in seqs]
        if captured is not None:
            pool.append(captured)
        if passthrough is not None:
            pool.append(passthrough[0])
        mat_read = False
        if mat is not None and self.chance(0.4):
            # Read the accumulator in the body: hoisting must not fire.
            mat_read = True
            self.note("accumulator read in body")
            k, n = mat[0].shape
            a = self.pick(pool, k)
            if a is None:
                a = self.tanh(self.linear(pool, k, scan))
            y = self.matmul(a, mat[0], self.zeros((B, n)))
            pool.append(self.tanh(self.binary("mulf", y, self.splat("0.25", y.shape))))
        nexts = []
        for c, _ in carries:
            d = c.shape[1]
            pre = self.linear(pool, d, scan)
            if passthrough is not None and passthrough[0].shape == pre.shape \
                    and self.chance(0.5):
                pre = self.binary("addf", pre, passthrough[0])
            if depth == 0 and self.chance(0.12):
                pre = self.inner_scan(pre, pool, B, widths)
            nxt = self.activate(pre, c, pool, d, scan)
            if c.name in masks:
                nxt = self.masked(masks[c.name], nxt, c)
            pool.append(nxt)
            nexts.append(nxt)
        if self.chance(0.3):
            a = self.pick(pool, bounded_only=True)
            r = rng.random()
            if r < 0.25:
                # log(1 + sigmoid(a)): the argument lies in (1, 2).
                self.note("log")
                one = self.splat("1.0", a.shape)
                pool.append(self.unary("math.log", self.binary(
                    "addf", one, self.sigmoid(a)), bounded=True))
            elif r < 0.5:
                # a / (1 + a*a), bounded by 1/2.
                self.note("division")
                one = self.splat("1.0", a.shape)
                d = self.binary("addf", one, self.binary("mulf", a, a))
                pool.append(self.binary("divf", a, d, bounded=True))
            b = self.pick(pool, a.shape[1], bounded_only=True)
            if b is not None:
                pool.append(self.binary("mulf", a, b, bounded=True))
        mat_next = None
        if mat is not None:
            k, n = mat[0].shape
            a = self.pick(pool, k, bounded_only=True) or self.tanh(self.linear(pool, k, scan))
            b = self.pick(pool, n, bounded_only=True) or self.tanh(self.linear(pool, n, scan))
            scale = self.splat("0.25", b.shape)
            b = self.binary("mulf", b, scale)
            mat_next = self.matmul(a, b, mat[0], ta=True)
            self.note("matrix accumulator carry")
        outputs = []
        n_out = rng.randint(1 if index == 0 else 0, 2)
        for i in range(n_out):
            outputs.append(self.pick(pool[len(carries):] or pool, bounded_only=True)
                           or nexts[0])

        yields = list(nexts)
        carry_list = list(carries)
        if mat is not None:
            yields.append(mat_next)
            carry_list.append(mat)
        if passthrough is not None:
            yields.append(passthrough[0])
            carry_list.append(passthrough)
        yields += outputs
        self.emit("scan.yield %s : %s" % (", ".join(v.name for v in yields),
                                          ", ".join(self.ty(v.shape) for v in yields)))
        self.indent = outer_indent
        self.lines = header_lines

        result_types = [self.ty(c.shape) for c, _ in carry_list] + \
            [self.ty((T,) + o.shape) for o in outputs]
        r = self.fresh("r")
        head = "%s:%d = scan.scan " % (r, len(result_types))
        if reverse:
            head += "reverse "
        if not seqs:
            head += "length(%d) " % T
            self.note("no sequences")
        head += "carries(%s)" % ", ".join(
            "%s = %s : %s" % (c.name, i.name, self.ty(c.shape)) for c, i in carry_list)
        if seqs:
            head += " sequences(%s)" % ", ".join(
                "%s = %s : %s" % (s.name, x.name, self.ty(x.shape)) for s, x in seqs)
        head += " -> (%s) {" % ", ".join(result_types)
        self.emit(head)
        self.lines.extend(body)
        self.emit("}")
        if mat is not None and not mat_read:
            self.note("hoistable forward accumulator")
        finals = [Value("%s#%d" % (r, i), c.shape) for i, (c, _) in enumerate(carry_list)]
        outs = [Value("%s#%d" % (r, len(carry_list) + i), (T,) + o.shape)
                for i, o in enumerate(outputs)]
        return {"finals": finals, "outputs": outs}

    def masked(self, mask_slice, new, old):
        """select(mask_t > 0, new, old): a padded step keeps the state."""
        self.note("masked state update")
        m = self.fresh("msk")
        self.emit("%s = arith.cmpf ogt, %s, %s : %s"
                  % (m, mask_slice.name, self.splat("0.0", new.shape).name,
                     self.ty(new.shape)))
        r = self.fresh("v")
        ity = "tensor<" + "".join(str(d) + "x" for d in new.shape) + "i1>"
        self.emit("%s = arith.select %s, %s, %s : %s, %s"
                  % (r, m, new.name, old.name, ity, self.ty(new.shape)))
        return Value(r, new.shape, new.bounded and old.bounded)

    def inner_scan(self, init, pool, B, widths):
        """A scan nested in the body: L steps of g' = tanh(linear(g, pool))
        from g = init; returns its final carry."""
        self.note("nested scan")
        L = self.rng.randint(1, 3)
        g = Value(self.fresh("g"), init.shape, False)
        header_lines = self.lines
        body = []
        self.lines = body
        outer_indent = self.indent
        self.indent = outer_indent + "  "
        inner = [g] + [v for v in pool if v.bounded]
        nxt = self.tanh(self.linear(inner, init.shape[1], {"B": B, "slices": set()}))
        self.emit("scan.yield %s : %s" % (nxt.name, self.ty(nxt.shape)))
        self.indent = outer_indent
        self.lines = header_lines
        r = self.fresh("in")
        self.emit("%s = scan.scan length(%d) carries(%s = %s : %s) -> %s {"
                  % (r, L, g.name, init.name, self.ty(init.shape),
                     self.ty(init.shape)))
        self.lines.extend(body)
        self.emit("}")
        return Value(r, init.shape, True)

    def logsumexp_rows(self, v):
        """log(sum(exp(v - max))) + max over the last dimension of a matrix,
        with the max taken by a linalg.reduce of arith.maximumf."""
        self.note("logsumexp (max reduction)")
        rows = v.shape[:1]
        ninf = self.fresh("c")
        self.emit("%s = arith.constant -1.0e+30 : %s"
                  % (ninf, self.dt))
        e = self.fresh("e")
        init = self.fresh("mi")
        self.emit("%s = tensor.empty() : %s" % (e, self.ty(rows)))
        self.emit("%s = linalg.fill ins(%s : %s) outs(%s : %s) -> %s"
                  % (init, ninf, self.dt, e, self.ty(rows), self.ty(rows)))
        mx = self.fresh("max")
        self.emit("%s = linalg.reduce ins(%s : %s) outs(%s : %s) dimensions = [1]"
                  % (mx, v.name, self.ty(v.shape), init, self.ty(rows)))
        a, b, q = self.fresh("in"), self.fresh("acc"), self.fresh("q")
        self.emit("  (%s: %s, %s: %s) {" % (a, self.dt, b, self.dt))
        self.emit("    %s = arith.maximumf %s, %s : %s" % (q, a, b, self.dt))
        self.emit("    linalg.yield %s : %s" % (q, self.dt))
        self.emit("  }")
        eb = self.fresh("e")
        mb = self.fresh("mb")
        self.emit("%s = tensor.empty() : %s" % (eb, self.ty(v.shape)))
        self.emit("%s = linalg.broadcast ins(%s : %s) outs(%s : %s) dimensions = [1]"
                  % (mb, mx, self.ty(rows), eb, self.ty(v.shape)))
        shifted = self.binary("subf", v, Value(mb, v.shape))
        ex = self.unary("math.exp", shifted)
        zero = self.scalar_zero()
        e2 = self.fresh("e")
        si = self.fresh("si")
        self.emit("%s = tensor.empty() : %s" % (e2, self.ty(rows)))
        self.emit("%s = linalg.fill ins(%s : %s) outs(%s : %s) -> %s"
                  % (si, zero.name, self.dt, e2, self.ty(rows), self.ty(rows)))
        se = self.fresh("se")
        self.emit("%s = linalg.reduce ins(%s : %s) outs(%s : %s) dimensions = [1]"
                  % (se, ex.name, self.ty(v.shape), si, self.ty(rows)))
        a, b, q = self.fresh("in"), self.fresh("acc"), self.fresh("q")
        self.emit("  (%s: %s, %s: %s) {" % (a, self.dt, b, self.dt))
        self.emit("    %s = arith.addf %s, %s : %s" % (q, a, b, self.dt))
        self.emit("    linalg.yield %s : %s" % (q, self.dt))
        self.emit("  }")
        lse = self.unary("math.log", Value(se, rows))
        return self.binary("addf", lse, Value(mx, rows))

    def reduce_into(self, v, acc):
        """acc + sum(v), as a linalg.reduce into the rank-0 tensor acc."""
        r = self.fresh("sum")
        dims = ", ".join(str(i) for i in range(len(v.shape)))
        self.emit("%s = linalg.reduce ins(%s : %s) outs(%s : %s) dimensions = [%s]"
                  % (r, v.name, self.ty(v.shape), acc.name, self.ty(()), dims))
        a, b, s = self.fresh("in"), self.fresh("acc"), self.fresh("q")
        self.emit("  (%s: %s, %s: %s) {" % (a, self.dt, b, self.dt))
        self.emit("    %s = arith.addf %s, %s : %s" % (s, a, b, self.dt))
        self.emit("    linalg.yield %s : %s" % (s, self.dt))
        self.emit("  }")
        return Value(r, ())

    def cost_term(self, v):
        if len(v.shape) == 2 and self.chance(0.2):
            return self.logsumexp_rows(v)
        r = self.rng.random()
        if r < 0.4:
            return v
        if r < 0.75:
            self.note("squared cost term")
            return self.binary("mulf", v, v)
        return self.binary("mulf", v, self.splat("0.5", v.shape))

    def generate(self):
        rng = self.rng
        T = rng.randint(1, 5)
        B = rng.randint(2, 6)
        widths = sorted(set(rng.randint(2, 6) for _ in range(rng.randint(1, 2))))
        n_scans = 2 if self.chance(0.3) else 1
        self.shape_info = "T=%d B=%d widths=%s scans=%d" % (T, B, widths, n_scans)
        first = self.make_scan(0, T, B, widths)
        results = [first]
        if n_scans == 2:
            self.note("two scans")
            results.append(self.make_scan(1, T, B, widths, first=first))
        # The cost.
        c = self.scalar_zero()
        e = self.fresh("e")
        acc = Value(self.fresh("s"), ())
        self.emit("%s = tensor.empty() : %s" % (e, self.ty(())))
        self.emit("%s = linalg.fill ins(%s : %s) outs(%s : %s) -> %s"
                  % (acc.name, c.name, self.dt, e, self.ty(()), self.ty(())))
        terms = []
        for res in results:
            terms += res["finals"] + res["outputs"]
        if n_scans == 2:
            # The first scan's outputs feed the second scan; its finals may
            # still be part of the cost.
            terms = [t for t in results[0]["finals"] if self.chance(0.5)] + \
                results[1]["finals"] + results[1]["outputs"]
        if self.chance(0.2):
            # A vector-valued function: the terms themselves are the results.
            self.note("vector-valued (scan.vjp)")
            self.lines = [l for l in self.lines
                          if not l.strip().startswith((e + " ", acc.name + " "))]
            results = [self.cost_term(t) for t in terms]
            self.emit("return %s : %s" % (", ".join(v.name for v in results),
                                          ", ".join(self.ty(v.shape) for v in results)))
            n = len(self.args)
            wrt = list(range(n))
            if n > 1 and self.chance(0.3):
                wrt = sorted(rng.sample(wrt, rng.randint(1, n - 1)))
                self.note("wrt subset")
            return self.render(wrt, results)
        for t in terms:
            acc = self.reduce_into(self.cost_term(t), acc)
        if self.weights and self.chance(0.35):
            self.note("weight used after the loop")
            fin = rng.choice(results[-1]["finals"])
            if len(fin.shape) == 2 and fin.shape[0] == B:
                w, tb = self.weight(fin.shape[1], rng.choice(widths))
                y = self.matmul(fin, w, self.zeros((B, w.shape[0] if tb else w.shape[1])), tb=tb)
                acc = self.reduce_into(self.tanh(y), acc)
        if self.weights and self.chance(0.3):
            self.note("weight penalty")
            w = rng.choice(self.weights)
            acc = self.reduce_into(
                self.binary("mulf", self.binary("mulf", w, w),
                            self.splat("0.1", w.shape)), acc)
        out = self.fresh("cost")
        self.emit("%s = tensor.extract %s[] : %s" % (out, acc.name, self.ty(())))
        self.emit("return %s : %s" % (out, self.dt))

        # wrt: every argument, or a random non-empty subset.
        n = len(self.args)
        wrt = list(range(n))
        if n > 1 and self.chance(0.3):
            wrt = sorted(rng.sample(wrt, rng.randint(1, n - 1)))
            self.note("wrt subset")
        return self.render(wrt)

    def render(self, wrt, results=None):
        """The module text; `results` lists the tensors a vector-valued
        @cost returns (None: @cost returns its scalar cost)."""
        sig = ", ".join("%s: %s" % (a.name, self.ty(a.shape)) for a in self.args)
        arg_types = ", ".join(self.ty(a.shape) for a in self.args)
        arg_names = ", ".join(a.name for a in self.args)
        grad_types = [self.ty(self.args[i].shape) for i in wrt]
        out = []
        out.append("// Random scan program, seed %d, %s: generated by "
                   "test/Random/gen_scan_program.py --seed %d --dtype %s."
                   % (self.seed, self.dt, self.seed, self.dt))
        out.append("// %s" % self.shape_info)
        out.append("// features: %s" % ", ".join(self.features))
        result_types = self.dt if results is None else \
            "(%s)" % ", ".join(self.ty(v.shape) for v in results)
        out.append("func.func @cost(%s) -> %s {" % (sig, result_types))
        out += self.prologue
        out += self.lines
        out.append("}")
        out.append("")
        n = len(wrt)
        wrt_text = ", ".join(map(str, wrt))
        if results is None:
            out.append("func.func @grad(%s) -> (%s, %s) {" % (sig, self.dt, ", ".join(grad_types)))
            out.append("  %%c = func.call @cost(%s) : (%s) -> %s" % (arg_names, arg_types, self.dt))
            out.append("  %%g:%d = scan.grad @cost(%s) wrt [%s] : (%s) -> (%s)"
                       % (n, arg_names, wrt_text, arg_types,
                          ", ".join(grad_types)))
            out.append("  return %%c, %s : %s, %s" % (
                ", ".join("%%g#%d" % i for i in range(n)), self.dt, ", ".join(grad_types)))
            out.append("}")
            return "\n".join(out) + "\n"
        # The entry takes one cotangent per result and returns the vjp's
        # results, then its gradients.
        res_types = [self.ty(v.shape) for v in results]
        cts = ["%%ct%d" % i for i in range(len(results))]
        all_types = res_types + grad_types
        out.append("func.func @grad(%s, %s) -> (%s) {" % (
            sig, ", ".join("%s: %s" % (c, t) for c, t in zip(cts, res_types)),
            ", ".join(all_types)))
        out.append("  %%v:%d = scan.vjp @cost(%s) cotangents(%s) wrt [%s]"
                   % (len(all_types), arg_names, ", ".join(cts), wrt_text))
        out.append("      : (%s, %s) -> (%s)" % (arg_types, ", ".join(res_types),
                                                 ", ".join(all_types)))
        out.append("  return %s : %s" % (
            ", ".join("%%v#%d" % i for i in range(len(all_types))),
            ", ".join(all_types)))
        out.append("}")
        return "\n".join(out) + "\n"


def generate(seed, dtype="f64"):
    """The program of `seed`, as text."""
    return Generator(seed, dtype).generate()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dtype", choices=["f64", "f32"], default="f64")
    parser.add_argument("-o", "--output", default="-")
    args = parser.parse_args(argv)
    text = generate(args.seed, args.dtype)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
