"""Latent Space Lab: the small helper package shared by the book, the exercises and the checks."""

__version__ = "0.1.0"
