# The service image used by docker-compose.yml (web, scheduler and one-off `yrdmon init`).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY service ./service
COPY migrations ./migrations
COPY indicators ./indicators
RUN pip install --no-cache-dir . && useradd --create-home yrdmon && mkdir -p /app/var && chown yrdmon /app/var
USER yrdmon
EXPOSE 8000
CMD ["yrdmon", "serve", "--host", "0.0.0.0", "--no-scheduler"]
