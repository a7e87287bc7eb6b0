# One image for the web app and the workers.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bracket bracket
COPY duels duels
COPY voting voting
COPY web web
COPY workers workers
RUN pip install --no-cache-dir .
RUN useradd --create-home machmal && mkdir /data && chown machmal /data
USER machmal
ENV MACHMAL_DATA_DIR=/data MACHMAL_MODE=production
EXPOSE 8000
CMD ["machmal", "serve", "--host", "0.0.0.0", "--port", "8000"]
