"""Shape arithmetic shared by operators, NDArray methods and symbolic shape inference."""

import math

from ..base import MXNetError

__all__ = ["reshape_shape", "fully_known", "merge_partial"]


def fully_known(shape):
    """Whether a partial shape (unknown dimensions -1, unknown rank None) is known."""
    return shape is not None and all(d >= 0 for d in shape)


def merge_partial(old, new):
    """``old`` with its unknown dimensions filled from ``new`` (same rank), else ``old``."""
    if old is None:
        return new
    if new is None or len(new) != len(old):
        return old
    return tuple(o if o >= 0 else n for o, n in zip(old, new))


def reshape_shape(src, target, reverse=False, exact=True):
    """MXNet's ``Reshape`` target with special codes resolved.

    ``0`` copies an input dimension, ``-1`` is inferred, ``-2`` copies the remaining
    input dimensions, ``-3`` merges two input dimensions, ``-4 a b`` splits one input
    dimension into ``a`` and ``b`` (one of them may be ``-1``). With ``reverse`` the
    codes are matched from the right. With ``exact=False`` the size is not checked and
    ``-1`` is the floor of the quotient, as ``NDArray.reshape`` resolves it before its
    own size check.
    """
    # MXNet parses a shape given as one number (``reshape(-1)`` on a Symbol) as a 1-tuple.
    src, target = tuple(src), (target,) if isinstance(target, int) else tuple(target)
    if reverse:
        return tuple(reversed(_resolve(src[::-1], target[::-1], src, target, exact)))
    return tuple(_resolve(src, target, src, target, exact))


def _resolve(src, target, orig_src, orig_target, exact=True):
    def fail(why):
        return MXNetError(f"Reshape: cannot reshape array of shape {orig_src} into shape "
                          f"{orig_target}: {why}")

    out, infer_at, i, j = [], None, 0, 0
    while i < len(target):
        code = target[i]
        if code > 0:
            out.append(code)
            j += 1
        elif code in (0, -3) and j + (code == -3) >= len(src):
            raise fail(f"code {code} has no input dimension to use")
        elif code == 0:
            out.append(src[j])
            j += 1
        elif code == -1:
            if infer_at is not None:
                raise fail("more than one -1")
            infer_at = len(out)
            out.append(-1)
            j += 1
        elif code == -2:
            out.extend(src[j:])
            j = len(src)
        elif code == -3:
            out.append(src[j] * src[j + 1])
            j += 2
        elif code == -4:
            if i + 2 >= len(target) or j >= len(src):
                raise fail("-4 must be followed by two dimensions")
            whole, a, b = src[j], target[i + 1], target[i + 2]
            if a == b == -1 or 0 in (a, b):
                raise fail(f"-4 cannot split {whole} into {a}x{b}")
            a = whole // b if a == -1 else a
            b = whole // a if b == -1 else b
            if a * b != whole:
                raise fail(f"-4 splits {whole} into {a}x{b}")
            out += [a, b]
            i += 2
            j += 1
        else:
            raise fail(f"invalid code {code}")
        i += 1
    total = math.prod(src)
    if infer_at is not None:
        known = math.prod(d for k, d in enumerate(out) if k != infer_at)
        if known == 0 or (exact and total % known):
            raise fail("the size cannot be inferred")
        out[infer_at] = total // known
    if exact and math.prod(out) != total:
        raise fail(f"{math.prod(out)} elements requested, {total} available")
    return out
