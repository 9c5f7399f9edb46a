"""Integer index expressions of the loop IR: affine forms over loop variables plus min/max/div atoms.

Every expression is kept as `const + sum(coef * atom)`, where an atom is a loop
variable or a non-affine call (min, max, floordiv, mod, lt, or a product of two
non-constant expressions). That normal form folds constants, prints readably
(`h_o*4 + t - 1`) and makes affine-ness a syntactic property: tensorization
reads an index's coefficient of each loop variable directly.

Expressions are immutable and hashable; `evaluate(env)` runs a compiled Python
lambda, so lowering a nest with thousands of statement instances stays cheap.
"""

from __future__ import annotations

from typing import Mapping, Union

ExprLike = Union["Expr", int]

#: Compiled evaluators by source text, shared by equal expressions across operators.
_COMPILED: dict[str, object] = {}


class Atom:
    """A term of an affine form: a variable or an opaque call."""

    __slots__ = ()

    def source(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError


class Var(Atom):
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Var) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("var", self.name))

    def __str__(self) -> str:
        return self.name

    def sort_key(self) -> str:
        return "0" + self.name

    def source(self) -> str:
        return f"e[{self.name!r}]"


_CALL_TEXT = {"min": "min({0}, {1})", "max": "max({0}, {1})", "div": "{0} // {1}", "mod": "{0} % {1}",
              "lt": "{0} < {1}", "mul": "{0} * {1}"}
_CALL_SRC = {"min": "min({0}, {1})", "max": "max({0}, {1})", "div": "(({0}) // ({1}))", "mod": "(({0}) % ({1}))",
             "lt": "int(({0}) < ({1}))", "mul": "(({0}) * ({1}))"}


class Call(Atom):
    __slots__ = ("op", "args", "_hash", "_text")

    def __init__(self, op: str, args: tuple["Expr", ...]) -> None:
        self.op = op
        self.args = args
        self._hash = hash(("call", op, args))
        self._text: str | None = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Call) and other.op == self.op and other.args == self.args

    def __hash__(self) -> int:
        return self._hash

    def __str__(self) -> str:
        if self._text is None:
            parts = [a.text(paren=self.op in ("div", "mod", "mul", "lt")) for a in self.args]
            self._text = _CALL_TEXT[self.op].format(*parts)
        return self._text

    def sort_key(self) -> str:
        return "1" + str(self)

    def source(self) -> str:
        return _CALL_SRC[self.op].format(*(a.source() for a in self.args))


class Expr:
    """`const + sum(coef * atom)`; build with `var`, `const`, arithmetic, `emin`, `emax`, `floordiv`."""

    __slots__ = ("terms", "const", "_fn", "_hash", "_vars")

    def __init__(self, terms: Mapping[Atom, int] | None = None, const: int = 0) -> None:
        items = [(a, int(c)) for a, c in (terms or {}).items() if c]
        if len(items) > 1:
            items.sort(key=lambda ac: ac[0].sort_key())
        self.terms: tuple[tuple[Atom, int], ...] = tuple(items)
        self.const = int(const)
        self._fn = None
        self._vars: frozenset[str] | None = None
        self._hash = hash((self.terms, self.const))

    # ------------------------------------------------------------ queries
    @property
    def is_const(self) -> bool:
        return not self.terms

    @property
    def value(self) -> int:
        if self.terms:
            raise ValueError(f"expression {self} is not a constant")
        return self.const

    def coef(self, name: str) -> int:
        """Coefficient of loop variable `name` in the affine part (0 if absent)."""
        for a, c in self.terms:
            if isinstance(a, Var) and a.name == name:
                return c
        return 0

    def free_vars(self) -> frozenset[str]:
        if self._vars is None:
            out: set[str] = set()
            for a, _ in self.terms:
                if isinstance(a, Var):
                    out.add(a.name)
                else:
                    for arg in a.args:
                        out |= arg.free_vars()
            self._vars = frozenset(out)
        return self._vars

    def depends_on(self, name: str) -> bool:
        return name in self.free_vars()

    def without(self, name: str) -> "Expr":
        """The expression with the affine term of variable `name` dropped."""
        return Expr({a: c for a, c in self.terms if not (isinstance(a, Var) and a.name == name)}, self.const)

    # ------------------------------------------------------------ evaluation
    def source(self) -> str:
        parts = [str(self.const)]
        for a, c in self.terms:
            parts.append(a.source() if c == 1 else f"{a.source()}*{c}")
        return " + ".join(parts)

    def evaluate(self, env: Mapping[str, int]) -> int:
        if not self.terms:
            return self.const
        fn = self._fn
        if fn is None:
            src = self.source()
            fn = _COMPILED.get(src)
            if fn is None:
                fn = _COMPILED[src] = eval(f"lambda e: {src}", {"min": min, "max": max, "int": int})  # noqa: S307
            self._fn = fn
        return fn(env)

    def subst(self, mapping: Mapping[str, ExprLike]) -> "Expr":
        """Replace variables by expressions (or ints), re-normalizing."""
        if not self.terms or self.free_vars().isdisjoint(mapping):
            return self
        out = Expr(const=self.const)
        for a, c in self.terms:
            if isinstance(a, Var):
                rep = mapping.get(a.name)
                term = as_expr(rep) if rep is not None else Expr({a: 1})
            else:
                term = _call(a.op, *(arg.subst(mapping) for arg in a.args))
            out = out + term * c
        return out

    # ------------------------------------------------------------ arithmetic
    def __add__(self, other: ExprLike) -> "Expr":
        o = as_expr(other)
        terms = dict(self.terms)
        for a, c in o.terms:
            terms[a] = terms.get(a, 0) + c
        return Expr(terms, self.const + o.const)

    __radd__ = __add__

    def __neg__(self) -> "Expr":
        return self * -1

    def __sub__(self, other: ExprLike) -> "Expr":
        return self + as_expr(other) * -1

    def __rsub__(self, other: ExprLike) -> "Expr":
        return as_expr(other) - self

    def __mul__(self, other: ExprLike) -> "Expr":
        o = as_expr(other)
        if o.is_const:
            k = o.const
            return Expr({a: c * k for a, c in self.terms}, self.const * k)
        if self.is_const:
            return o * self.const
        return Expr({Call("mul", (self, o)): 1})

    __rmul__ = __mul__

    def __floordiv__(self, other: ExprLike) -> "Expr":
        return floordiv(self, other)

    def __mod__(self, other: ExprLike) -> "Expr":
        return mod(self, other)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, int):
            return not self.terms and self.const == other
        return isinstance(other, Expr) and other.terms == self.terms and other.const == self.const

    def __hash__(self) -> int:
        return self._hash

    # ------------------------------------------------------------ printing
    def text(self, paren: bool = False) -> str:
        parts: list[str] = []
        if self.const > 0 and self.terms and self.terms[0][1] < 0:  # "56 - h*4" reads better than "-h*4 + 56"
            parts.append(str(self.const))
            rest = Expr(dict(self.terms), 0).text()
            s = f"{self.const} - {rest[1:]}" if rest.startswith("-") else f"{self.const} + {rest}"
            return f"({s})" if paren else s
        for a, c in self.terms:
            t = str(a)
            if isinstance(a, Call) and a.op in ("div", "mod", "mul", "lt") and c != 1:
                t = f"({t})"
            body = t if abs(c) == 1 else f"{t}*{abs(c)}"
            if not parts:
                parts.append(body if c > 0 else f"-{body}")
            else:
                parts.append(f"+ {body}" if c > 0 else f"- {body}")
        if self.const or not parts:
            if not parts:
                parts.append(str(self.const))
            else:
                parts.append(f"+ {self.const}" if self.const > 0 else f"- {-self.const}")
        s = " ".join(parts)
        return f"({s})" if paren and (len(parts) > 1 or s.startswith("-")) else s

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"Expr({self.text()})"


def as_expr(x: ExprLike) -> Expr:
    if isinstance(x, Expr):
        return x
    if isinstance(x, bool) or not isinstance(x, int):
        try:
            return Expr(const=int(x))  # numpy integers
        except (TypeError, ValueError):
            raise TypeError(f"not an integer expression: {x!r}") from None
    return Expr(const=x)


def var(name: str) -> Expr:
    return Expr({Var(name): 1})


def const(v: int) -> Expr:
    return Expr(const=v)


def _call(op: str, a: Expr, b: Expr) -> Expr:
    if a.is_const and b.is_const:
        x, y = a.const, b.const
        return const({"min": min, "max": max, "div": lambda p, q: p // q, "mod": lambda p, q: p % q,
                      "lt": lambda p, q: int(p < q), "mul": lambda p, q: p * q}[op](x, y))
    if op == "mul":
        return a * b
    return Expr({Call(op, (a, b)): 1})


def _call_args(e: Expr, op: str) -> tuple[Expr, ...]:
    """The arguments of `e` if it is exactly one `op` call, else ()."""
    if e.const == 0 and len(e.terms) == 1 and e.terms[0][1] == 1:
        a = e.terms[0][0]
        if isinstance(a, Call) and a.op == op:
            return a.args
    return ()


def _minmax(op: str, a: ExprLike, b: ExprLike) -> Expr:
    x, y = as_expr(a), as_expr(b)
    if x == y:
        return x
    d = x - y
    if d.is_const:
        return x if (d.const > 0) == (op == "max") else y
    if y in _call_args(x, op):
        return x
    if x in _call_args(y, op):
        return y
    return _call(op, x, y)


def emin(a: ExprLike, b: ExprLike) -> Expr:
    return _minmax("min", a, b)


def emax(a: ExprLike, b: ExprLike) -> Expr:
    return _minmax("max", a, b)


def _divmod(op: str, a: ExprLike, b: ExprLike) -> Expr:
    """floordiv/mod, exact on affine forms whose coefficients the constant divisor divides."""
    x, y = as_expr(a), as_expr(b)
    if y.is_const and y.const > 0 and all(c % y.const == 0 for _, c in x.terms):
        k = y.const
        if op == "mod":
            return const(x.const % k)
        return Expr({t: c // k for t, c in x.terms}, x.const // k)  # floor((k*A + c)/k) = A + floor(c/k)
    return _call(op, x, y)


def floordiv(a: ExprLike, b: ExprLike) -> Expr:
    return _divmod("div", a, b)


def mod(a: ExprLike, b: ExprLike) -> Expr:
    return _divmod("mod", a, b)


def lt(a: ExprLike, b: ExprLike) -> Expr:
    """1 if a < b else 0."""
    return _call("lt", as_expr(a), as_expr(b))


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)
