"""Write the bundled sample of raw Made With ML data (``data/sample/``).

The sample has the shape of the real ``projects.csv`` (id, created_on, title, description) and
``tags.csv`` (id, tag) files, 48 projects over all six tags, plus the edge rows the pipeline
must keep faithfully: quoted commas and quotes, LF and CRLF line breaks inside a description,
leading and trailing spaces, non-ASCII text, a '#' in a title, a project whose tag is empty and
a project with no tag row at all.

The files are committed; ``pytests/test_sample.py`` checks they equal this script's output, so
edit the rows here and rerun ``python scripts/make_sample.py``.
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "data" / "sample"

TAGS = (
    "natural-language-processing",
    "computer-vision",
    "mlops",
    "reinforcement-learning",
    "graph-learning",
    "time-series",
)

# (title, description, tag); tag None = tag row with an empty tag, "<none>" = no tag row.
ROWS: list[tuple[str, str, str | None]] = [
    ("Transformers from Scratch", "Build a transformer encoder step by step, with attention maps.", TAGS[0]),
    ("YOLOv5 Object Detection", "Real-time object detection in PyTorch, trained on COCO.", TAGS[1]),
    ("Feature Store Basics", "Serve consistent features for training and inference, offline and online.", TAGS[2]),
    ("Deep Q-Learning for Atari", "Play Breakout from pixels with a DQN agent and experience replay.", TAGS[3]),
    ("Graph Attention Networks", "Node classification on citation graphs with GAT layers.", TAGS[4]),
    ("Forecasting with Prophet", "Additive models for daily sales with holidays and seasonality.", TAGS[5]),
    ("Sentiment Analysis, Simply", "Classify reviews as positive, negative, or neutral, with a tiny LSTM.", TAGS[0]),
    ('The "Attention" Paper, Annotated', 'A line-by-line walk through "Attention Is All You Need".', TAGS[0]),
    ("Image Segmentation with U-Net", "Pixel-wise masks for medical images.\nIncludes data augmentation.", TAGS[1]),
    ("Model Monitoring in Production", "Detect drift in inputs and predictions.\r\nAlert when it matters.", TAGS[2]),
    ("  Policy Gradients Explained", "REINFORCE and actor-critic methods, derived from first principles.", TAGS[3]),
    ("Knowledge Graph Embeddings  ", "TransE, DistMult and ComplEx for link prediction.", TAGS[4]),
    ("Anomaly Detection in Sensor Data", "  Isolation forests and autoencoders on streaming signals.  ", TAGS[5]),
    ("Traitement du langage naturel en français", "Étiquetage morphosyntaxique et entités nommées avec spaCy.", TAGS[0]),
    ("中文文本分类", "使用 BERT 对新闻标题进行分类。", TAGS[0]),
    ("Style Transfer 🎨", "Neural style transfer with VGG features — fast and slow variants.", TAGS[1]),
    ("#1 Tip for Reproducible ML", "Pin your data, code and environment; hash everything.", TAGS[2]),
    ("Multi-Armed Bandits", "Epsilon-greedy, UCB and Thompson sampling compared.", TAGS[3]),
    ("Graph Neural Networks for Molecules", "Predict molecular properties with message passing.", TAGS[4]),
    ("LSTM Stock Forecasting", "Sequence models for price series; why naive baselines are hard to beat.", TAGS[5]),
    ("Named Entity Recognition", "Tag people, places and organizations with a BiLSTM-CRF.", TAGS[0]),
    ("Face Detection at 30 FPS", "MTCNN and RetinaFace on a laptop webcam.", TAGS[1]),
    ("CI/CD for Machine Learning", "Test data, models and code on every commit with GitHub Actions.", TAGS[2]),
    ("AlphaZero in 200 Lines", "Self-play, MCTS and a small residual network for Connect Four.", TAGS[3]),
    ("Community Detection", "Louvain and label propagation on social networks.", TAGS[4]),
    ("Temporal Fusion Transformers", "Interpretable multi-horizon forecasting, step by step.", TAGS[5]),
    ("Question Answering with BERT", "Extractive QA on SQuAD.\r\n\r\nFine-tuning tips, and pitfalls.", TAGS[0]),
    ("Pose Estimation", "Keypoints for human pose with OpenPose; 18 joints, one model.", TAGS[1]),
    ("Experiment Tracking with MLflow", "Log params, metrics and artifacts; compare runs.", TAGS[2]),
    ("PPO for Robotics", "Proximal policy optimization for a simulated robot arm.", TAGS[3]),
    ("Graph Convolutional Networks", "Spectral graph convolutions, explained with code.", TAGS[4]),
    ("Time Series Classification", "Classify ECG beats with 1D CNNs and ROCKET.", TAGS[5]),
    ("Text Summarization", "Abstractive summaries with T5; ROUGE, explained.", TAGS[0]),
    ("Vision Transformers", "Patches, positional embeddings and why ViT needs data.", TAGS[1]),
    ("Data Versioning with DVC", "Version datasets and models next to your code.", TAGS[2]),
    ("Offline Reinforcement Learning", "Learn policies from logged data with CQL.", TAGS[3]),
    ("Graph Sampling at Scale", "GraphSAGE neighbourhood sampling for billion-edge graphs.", TAGS[4]),
    ("Forecasting Energy Demand", "Gradient boosting with lag features, validated in time order.", TAGS[5]),
    ("Machine Translation", "Sequence-to-sequence with attention, English→German.", TAGS[0]),
    ("OCR for Receipts", "Detect and read text in photographed receipts.", TAGS[1]),
    ("Serving Models with FastAPI", "Batching, health checks and load tests for an inference API.", TAGS[2]),
    ("Reward Shaping", "When dense rewards help, and when they teach the wrong thing.", TAGS[3]),
    ("Link Prediction Benchmarks", "OGB datasets, splits and evaluation.", TAGS[4]),
    ("Seasonal Decomposition", "STL, trends and residuals, with statsmodels.", TAGS[5]),
    ("Untagged Idea: Tabular AutoML", "An idea not yet labeled: its tag is empty.", None),
    ("Another Unlabeled Project", "This project has no row in tags.csv at all.", "<none>"),
    ("Speech Recognition with Wav2Vec", "Self-supervised speech features; word error rate, explained.", TAGS[0]),
    ("Satellite Image Classification", "Land-use classes from Sentinel-2 tiles, with transfer learning.", TAGS[1]),
]

FIRST_ID = 6
ID_STEP = 3


def render(rows: list[tuple[str, str, str | None]] = ROWS) -> tuple[str, str]:
    """Return the text of (projects.csv, tags.csv) for ``rows``.

    Ids ascend from FIRST_ID by ID_STEP, timestamps by a few hours, as in the real files;
    values are quoted only when needed, with LF row endings, like the upstream files.
    """
    projects, tags = io.StringIO(), io.StringIO()
    pw = csv.writer(projects, lineterminator="\n")
    tw = csv.writer(tags, lineterminator="\n")
    pw.writerow(["id", "created_on", "title", "description"])
    tw.writerow(["id", "tag"])
    for i, (title, description, tag) in enumerate(rows):
        project_id = FIRST_ID + ID_STEP * i
        day, hour = divmod(i * 7, 24)
        created_on = f"2020-{2 + day // 28:02d}-{1 + day % 28:02d} {hour:02d}:{(i * 13) % 60:02d}:{(i * 29) % 60:02d}"
        pw.writerow([project_id, created_on, title, description])
        if tag != "<none>":
            tw.writerow([project_id, tag or ""])
    return projects.getvalue(), tags.getvalue()


def write(out_dir: Path) -> list[Path]:
    """Write projects.csv and tags.csv into ``out_dir`` (created if needed); return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in zip(("projects.csv", "tags.csv"), render()):
        path = out_dir / name
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder to write into (default: %(default)s)")
    args = parser.parse_args(argv)
    for path in write(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
