"""Reading feedpipe's partitioned JSON Lines with Apache Spark (PySpark).

Written by
    feedpipe run --out-dir /data/articles /srv/hexo/source/_posts
as /data/articles/dt=YYYY-MM-DD/part-NNNNN.jsonl.gz. Spark discovers the dt=
directories as a partition column (a date; __HIVE_DEFAULT_PARTITION__, the
articles without a date, becomes null), decompresses .gz by its suffix, and
skips the hidden temporary files of a run in progress. Run with
    spark-submit spark.py /data/articles
"""
import sys

from pyspark.sql import SparkSession, functions as F

path = sys.argv[1] if len(sys.argv) > 1 else "articles"
spark = SparkSession.builder.appName("feedpipe-articles").getOrCreate()

# The rejects file sits at the top of the tree: read the partitions only.
articles = spark.read.option("basePath", path).json(f"{path}/dt=*")
articles.printSchema()

# Articles per day and feed.
(articles.groupBy("dt", "site", "feed").count()
    .orderBy(F.col("dt").desc_nulls_last(), F.col("count").desc())
    .show(20, truncate=False))

# One day's articles (partition pruning reads one directory).
(articles.where(F.col("dt") == "2021-12-20")
    .select("published_at", "site", "title", "editor", F.col("source.path").alias("path"))
    .orderBy(F.col("published_at").desc())
    .show(truncate=False))

# Rejects by stage and reason.
rejects = spark.read.json(f"{path}/rejects.jsonl.gz")
if "reject" in rejects.columns:
    rejects.groupBy("reject.stage", "reject.reason").count().orderBy(F.col("count").desc()).show()

spark.stop()
