from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent

setup(
    name="hlsgen",
    version="0.1.0",
    description="Compile trained neural networks (Keras, QKeras, ONNX) into HLS accelerators for Zynq FPGAs",
    long_description=(HERE / "README.md").read_text(),
    long_description_content_type="text/markdown",
    python_requires=">=3.9",
    packages=find_packages(include=["hlsgen", "hlsgen.*"]) + ["hlsgen._boards"],
    package_dir={"hlsgen._boards": "boards"},
    package_data={
        "hlsgen": ["templates/**/*", "examples/*.keras", "examples/*.npy"],
        "hlsgen._boards": ["*.yml", "*.md"],
    },
    install_requires=["numpy>=1.23", "jinja2>=3.0", "pyyaml>=5.4"],
    extras_require={
        "keras": ["tensorflow>=2.16", "tf-keras>=2.16"],
        "qkeras": ["tensorflow>=2.16", "tf-keras>=2.16", "qkeras==0.9.0", "pyparsing"],
        "onnx": ["onnx>=1.14", "onnxruntime>=1.16"],
        "pytorch": ["torch>=2.1", "onnx>=1.14"],
        # Brevitas-quantized PyTorch models (QONNX export); brevitas pins setuptools<81 and
        # pulls torch, so it is not in [test]: its tests skip without it
        "brevitas": ["brevitas>=0.11", "onnxoptimizer>=0.3"],
        "explore": ["dask[distributed]>=2024.1", "pandas>=2.0", "matplotlib>=3.7", "pyarrow>=14"],
        # hlsgen.profiling figures and hm.plot_model (which also needs the Graphviz system package)
        "profiling": ["matplotlib>=3.7", "graphviz>=0.20"],
        # hm.package / `hlsgen package`: the PYNQ overlay package (sdist and wheel, built offline)
        "package": ["build>=1.0", "setuptools>=61"],
        # hlsgen.convert_from_symbolic_expression
        "symbolic": ["sympy>=1.10"],
        "test": ["pytest>=7", "tensorflow>=2.16", "tf-keras>=2.16", "qkeras==0.9.0", "pyparsing",
                 "onnx>=1.14", "onnxruntime>=1.16", "qonnx>=1.0", "import-linter>=2.0",
                 "dask[distributed]>=2024.1", "pandas>=2.0", "matplotlib>=3.7", "pyarrow>=14", "graphviz>=0.20",
                 "build>=1.0", "setuptools>=61", "sympy>=1.10", "nbclient>=0.7", "nbformat>=5.7", "ipykernel>=6"],
    },
    entry_points={"console_scripts": ["hlsgen=hlsgen.cli:main"]},
)
