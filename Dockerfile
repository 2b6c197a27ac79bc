FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY digest digest
COPY issues issues
RUN pip install --no-cache-dir .
COPY . .
RUN useradd --create-home digest && chown -R digest /app
USER digest
EXPOSE 8000
CMD ["gunicorn", "digest.wsgi", "--bind", "0.0.0.0:8000"]
