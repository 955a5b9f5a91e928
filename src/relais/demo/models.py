"""What `relais generate` left in a database: the marker that says its persons are
synthetic, the options they were made with, and the chunks done so far (docs/bench.md).

A database holding a `GeneratedDataset` row is synthetic: `relais generate` may add to it
(resume). A database with persons and no such row holds real data: it refuses.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class GeneratedDataset(models.Model):
    """The marker row, written with the first chunk: one per database."""

    seed = models.BigIntegerField(_("seed"))
    persons = models.PositiveIntegerField(_("persons"))
    chunk_size = models.PositiveIntegerField(_("persons per chunk"))
    # Every time and date generated is before this moment (resumed runs keep it).
    as_of = models.DateTimeField(_("as of"))
    ratios = models.JSONField(_("ratios"), default=dict)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    # When the tables were last vacuumed and analysed after the chunks were written; None
    # while chunks are being written (an interrupted run's next run does it).
    analyzed_at = models.DateTimeField(_("analysed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("generated dataset")
        verbose_name_plural = _("generated datasets")

    def __str__(self) -> str:
        return f"seed {self.seed}, {self.persons} persons"


class GeneratedChunk(models.Model):
    """A chunk of persons written, with everything about them, in one transaction."""

    dataset = models.ForeignKey(GeneratedDataset, on_delete=models.CASCADE,
                                related_name="chunks")
    number = models.PositiveIntegerField(_("chunk"))  # 0 is the world (organisations, users)
    rows = models.PositiveBigIntegerField(_("rows written"))
    seconds = models.FloatField(_("seconds"))
    done_at = models.DateTimeField(_("done at"), auto_now_add=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("generated chunk")
        verbose_name_plural = _("generated chunks")
        constraints = [models.UniqueConstraint(fields=["dataset", "number"],
                                               name="generated_chunk_once")]

    def __str__(self) -> str:
        return f"chunk {self.number}"
