from .seal import InstitutionSeal

__all__ = ["InstitutionSeal"]
