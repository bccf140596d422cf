"""What every estimator shares: scikit-learn's get_params / set_params and a readable repr."""

from __future__ import annotations

from typing import Any

from edutools.errors import CalibrationError

__all__ = ["EstimatorMixin"]


class EstimatorMixin:
    """Hyper-parameters are the instance attributes that do not end in ``_``."""

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Hyper-parameters, as scikit-learn's ``get_params``."""
        names = [n for n in vars(self) if not n.endswith("_")]
        return {n: getattr(self, n) for n in names}

    def set_params(self, **params: Any) -> Any:
        """Set hyper-parameters, as scikit-learn's ``set_params``."""
        for k, v in params.items():
            if k not in self.get_params():
                raise CalibrationError(
                    f"unknown parameter {k!r}; valid: {', '.join(self.get_params())}"
                )
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def _check_fitted(self) -> None:
        if not hasattr(self, "calibration_"):
            raise CalibrationError(
                f"this {type(self).__name__} is not fitted yet; call fit(X) first"
            )
