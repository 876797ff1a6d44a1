from django.db import models


class FloorRow(models.Model):
    """One posted body, stored as the intake would store a complaint's essentials."""

    unit = models.CharField(max_length=40)
    description = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.unit} {self.pk}"
